// This module's entry points, as the table `KernelConfiguration` chooses from.
import FaceKitKernelABI

#if FACEKIT_ISA_AVX512
let isaName = "avx512"
#elseif FACEKIT_ISA_AVX2
let isaName = "avx2"
#elseif arch(arm64)
let isaName = "neon"
#else
let isaName = "baseline"
#endif

/// The micro-kernels of this module. `wideGEMM` selects the 16-lane f32-gemm 6x32 (panels of
/// 32 channels) instead of the 8-lane 6x16, 3x24 and 3x32; the AVX-512 configuration uses it, and tests run
/// it from the AVX2 module too, so its logic is checked on CPUs without AVX-512.
///
/// Call it only on a CPU that has this module's instruction set.
public func microKernelTable(wideGEMM: Bool) -> MicroKernelTable {
    let gemm: @Sendable (GEMMArguments, Range<Int>, Range<Int>) -> Void = wideGEMM ? f32GEMM6x32 : f32GEMM8Lane
    let tile: @Sendable (Int) -> (panelWidth: Int, rows: Int) = { n in
        let width = f32GEMMPanelWidth(outputChannels: n, wide: wideGEMM)
        return (width, f32GEMMRowTile(panelWidth: width, wide: wideGEMM))
    }
    let name = isaName + (wideGEMM && isaName != "avx512" ? "-wide" : "")
    return MicroKernelTable(
        isa: name, gemmTile: tile, gemm: gemm,
        depthwiseChannelBlock: dwLanes, depthwise: f32DWConv,
        convBlockWidth: f32ConvBlockWidth, convTileBlocks: f32ConvTileBlocks, convolution: f32Conv,
        maxPool: f32MaxPool, add: f32VAdd, channelScale: f32VMulC, meanPool: f32MeanPool,
        dot: f32Dot, fmaPeak: f32FMAPeak, fmaPeakLanes: f32FMAPeakLanes)
}
