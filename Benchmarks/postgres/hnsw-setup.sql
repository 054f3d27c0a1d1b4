-- HNSW recall and build time measured inside the server (no client in the loop), for sizes the
-- Swift bench takes long to load. Used for the figures of the DocC article "Choosing a face index
-- back end". Run against `.ci/postgres start`:
--
--   .ci/postgres psql -v ON_ERROR_STOP=1 -v schema=hnsw_100k -v n=100000 -v sigma=0.0731 \
--     -v m=16 -v efc=64 -f Benchmarks/postgres/hnsw-setup.sql
--   .ci/postgres psql -v ON_ERROR_STOP=1 -v schema=hnsw_100k -f Benchmarks/postgres/hnsw-eval.sql \
--     -c "SET search_path = hnsw_100k, public" -c "SELECT * FROM eval_hnsw(1000)"
--
-- :n random unit vectors (coordinates uniform in [-0.5, 0.5), normalised: the distribution of
-- `bench postgres`, from PostgreSQL's random()); 100 probes of each kind: (a) random unit
-- vectors, (b) an enrolled vector plus Gaussian noise of σ :sigma per value, renormalised
-- (σ 0.0731 gives a cosine of about 0.65 to the enrolled vector, 1 / sqrt(1 + 256 σ²): a new
-- photo of an enrolled person scores 0.49-0.84 against it, ../shared/reference/README.md).
-- The exact top 10 of every probe is computed before the HNSW index (m :m, ef_construction
-- :efc) is built with maintenance_work_mem 3GB and one parallel maintenance worker.
\timing on
DROP SCHEMA IF EXISTS :"schema" CASCADE;
CREATE SCHEMA :"schema";
SET search_path = :"schema", public;
CREATE TABLE emb (id bigint PRIMARY KEY, embedding vector(256));
-- uniform coordinates in [-0.5, 0.5), normalised: the bench's distribution, another generator
INSERT INTO emb SELECT g, l2_normalize((SELECT array_agg(random() - 0.5) FROM generate_series(1, 256) WHERE g > 0)::vector)
FROM generate_series(1, :n) g;
VACUUM ANALYZE emb;
-- (a) random unit probes; (b) an enrolled vector plus Gaussian noise, renormalised (cosine ~0.65 to it)
CREATE TABLE probes (id int PRIMARY KEY, kind text, src bigint, v vector(256));
INSERT INTO probes SELECT g, 'a', NULL, l2_normalize((SELECT array_agg(random() - 0.5) FROM generate_series(1, 256) WHERE g > 0)::vector)
FROM generate_series(1, 100) g;
INSERT INTO probes SELECT 100 + g, 'b', s, NULL FROM (SELECT g, 1 + floor(random() * :n)::bigint AS s FROM generate_series(1, 100) g) x;
UPDATE probes p SET v = l2_normalize((SELECT array_agg(x + random_normal(0, :sigma)) FROM unnest(e.embedding::real[]) x WHERE p.id > 0)::vector)
FROM emb e WHERE p.kind = 'b' AND e.id = p.src;
SELECT kind, avg(1 - (p.v <=> e.embedding)) AS mean_cos_to_source, min(1 - (p.v <=> e.embedding)), max(1 - (p.v <=> e.embedding))
FROM probes p JOIN emb e ON e.id = p.src GROUP BY kind;
-- exact top 10 (no index yet)
CREATE TABLE truth AS SELECT p.id, array(SELECT e.id FROM emb e ORDER BY e.embedding <=> p.v, e.id LIMIT 10) AS ids FROM probes p;
SELECT now();
SET maintenance_work_mem = '3GB';
SET max_parallel_maintenance_workers = 1;
CREATE INDEX emb_hnsw ON emb USING hnsw (embedding vector_cosine_ops) WITH (m = :m, ef_construction = :efc);
SELECT pg_size_pretty(pg_relation_size('emb_hnsw')) AS index_size, pg_size_pretty(pg_relation_size('emb')) AS table_size;
