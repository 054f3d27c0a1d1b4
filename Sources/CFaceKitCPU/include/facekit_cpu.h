// CPU feature detection for FaceKit's kernel dispatch. No system library needed.
#ifndef FACEKIT_CPU_H
#define FACEKIT_CPU_H

/// Bit 0: AVX2 and FMA usable (the CPU has them and the OS saves YMM state).
#define FACEKIT_CPU_AVX2_FMA 1
/// Bit 1: AVX-512 F, VL, BW and DQ usable (the CPU has them and the OS saves ZMM state).
#define FACEKIT_CPU_AVX512 2

/// The instruction-set extensions this process may use, as FACEKIT_CPU_* bits; 0 on CPUs
/// that are not x86-64 (arm64 always has NEON with FMA).
int facekit_cpu_features(void);

#endif
