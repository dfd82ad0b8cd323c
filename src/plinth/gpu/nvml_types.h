// The slice of NVML's C ABI that NvmlGpuSource uses, declared here because
// nvml.h is not installed: the library is loaded at run time with dlopen.
// Layouts and values follow nvml.h; the fake library used by the tests
// implements the same declarations.
#pragma once

namespace plinth::gpu::nvml {

using Return = int;  // nvmlReturn_t
struct DeviceSt;
using Device = DeviceSt*;  // nvmlDevice_t (also MIG device handles)
struct GpuInstanceSt;
using GpuInstance = GpuInstanceSt*;  // nvmlGpuInstance_t

inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorDriverNotLoaded = 9;

inline constexpr int kTemperatureGpu = 0;            // NVML_TEMPERATURE_GPU
inline constexpr unsigned int kMigEnabled = 1;       // NVML_DEVICE_MIG_ENABLE
inline constexpr unsigned int kNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned int kUuidBufferSize = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE

struct Memory {  // nvmlMemory_t, bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct MemoryV2 {        // nvmlMemory_v2_t, bytes; `used` excludes `reserved`
  unsigned int version;  // kMemoryV2Version
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
// NVML_STRUCT_VERSION(Memory, 2): the struct size with the version in the top byte.
inline constexpr unsigned int kMemoryV2Version =
    static_cast<unsigned int>(sizeof(MemoryV2)) | (2u << 24);

struct Utilization {  // nvmlUtilization_t, percent
  unsigned int gpu;
  unsigned int memory;
};

struct DeviceAttributes {  // nvmlDeviceAttributes_t (nvmlDeviceGetAttributes_v2)
  unsigned int multiprocessor_count;
  unsigned int shared_copy_engine_count;
  unsigned int shared_decoder_count;
  unsigned int shared_encoder_count;
  unsigned int shared_jpeg_count;
  unsigned int shared_ofa_count;
  unsigned int gpu_instance_slice_count;
  unsigned int compute_instance_slice_count;
  unsigned long long memory_size_mb;
};

struct GpuInstancePlacement {  // memory slices
  unsigned int start;
  unsigned int size;
};

struct GpuInstanceInfo {  // nvmlGpuInstanceInfo_t
  Device device;
  unsigned int id;
  unsigned int profile_id;
  GpuInstancePlacement placement;
};

// Layouts nvml.h fixes on x86-64 and aarch64.
static_assert(sizeof(Memory) == 24);
static_assert(sizeof(MemoryV2) == 40);
static_assert(sizeof(DeviceAttributes) == 40);
static_assert(sizeof(GpuInstanceInfo) == 24);

// Function types, named after the symbols.
using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using GetCountFn = Return (*)(unsigned int*);
using GetHandleByIndexFn = Return (*)(unsigned int, Device*);
using GetStringFn = Return (*)(Device, char*, unsigned int);  // GetName, GetUUID
using GetMemoryInfoFn = Return (*)(Device, Memory*);
using GetMemoryInfoV2Fn = Return (*)(Device, MemoryV2*);
using GetUtilizationRatesFn = Return (*)(Device, Utilization*);
using GetUintFn = Return (*)(Device, unsigned int*);  // power, max MIG count, GI id
using GetTemperatureFn = Return (*)(Device, int, unsigned int*);
using GetMigModeFn = Return (*)(Device, unsigned int*, unsigned int*);
using GetMigDeviceHandleByIndexFn = Return (*)(Device, unsigned int, Device*);
using GetAttributesFn = Return (*)(Device, DeviceAttributes*);
using GetGpuInstanceByIdFn = Return (*)(Device, unsigned int, GpuInstance*);
using GpuInstanceGetInfoFn = Return (*)(GpuInstance, GpuInstanceInfo*);

}  // namespace plinth::gpu::nvml
