-- Defines eval_hnsw(ef_search, iterative_scan) in the schema of hnsw-setup.sql: for each probe
-- kind, recall@10 of the HNSW top 10 against the exact top 10, recall@1 (HNSW's best is the exact
-- best), for (b) how often the enrolled vector the probe was made from is HNSW's best (source_top1)
-- or in its top 10 (source_top10), the fewest rows a search returned (pgvector's ef_search caps
-- the rows an HNSW scan returns), and the median and p90 latency of one search inside the server.
SET search_path = :"schema", public;
CREATE OR REPLACE FUNCTION eval_hnsw(ef int, iter text DEFAULT 'off')
RETURNS TABLE (kind text, ef_search int, iterative text, recall10 numeric, recall1 numeric, source_top1 numeric, source_top10 numeric, rows_min int, median_ms numeric, p90_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE r record; got bigint[]; t0 timestamptz; ms float8[] := '{}'; kinds text[] := '{}'; hit int[] := '{}'; hit1 int[] := '{}'; s1 int[] := '{}'; s10 int[] := '{}'; n int[] := '{}';
BEGIN
  PERFORM set_config('hnsw.ef_search', ef::text, true);
  PERFORM set_config('hnsw.iterative_scan', iter, true);
  PERFORM set_config('enable_seqscan', 'off', true);
  FOR r IN SELECT p.id, p.kind, p.src, p.v, t.ids FROM probes p JOIN truth t USING (id) ORDER BY p.id LOOP
    t0 := clock_timestamp();
    got := array(SELECT e.id FROM emb e ORDER BY e.embedding <=> r.v LIMIT 10);
    ms := ms || (extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
    kinds := kinds || r.kind;
    hit := hit || (SELECT count(*)::int FROM unnest(got) g WHERE g = ANY (r.ids));
    hit1 := hit1 || CASE WHEN got[1] = r.ids[1] THEN 1 ELSE 0 END;
    s1 := s1 || CASE WHEN got[1] = r.src THEN 1 ELSE 0 END;
    s10 := s10 || CASE WHEN r.src = ANY (got) THEN 1 ELSE 0 END;
    n := n || cardinality(got);
  END LOOP;
  RETURN QUERY SELECT k, ef, iter, round(sum(h)::numeric / (10 * count(*)), 4), round(avg(h1), 3),
      CASE WHEN k = 'b' THEN round(avg(a1), 3) END, CASE WHEN k = 'b' THEN round(avg(a10), 3) END, min(c),
      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY m))::numeric, 2), round((percentile_cont(0.9) WITHIN GROUP (ORDER BY m))::numeric, 2)
    FROM unnest(kinds, hit, hit1, s1, s10, n, ms) AS u(k, h, h1, a1, a10, c, m) GROUP BY k ORDER BY k;
END $$;
