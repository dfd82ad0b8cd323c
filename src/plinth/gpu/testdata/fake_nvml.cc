// A stand-in for libnvidia-ml.so.1 so the NVML loader is tested without a
// GPU. It reports two "NVIDIA H100 80GB HBM3": GPU 0 with full telemetry,
// GPU 1 in MIG mode with a 3g.40gb instance (memory slices 4-7) at MIG index
// 0 and a 1g.10gb (slice 0) at index 2.
// Built twice: FAKE_NVML_MINIMAL leaves out every optional symbol.
// Environment knobs, read by nvmlInit_v2:
//   FAKE_NVML_INIT_RESULT=<rc>   nvmlInit_v2 returns rc (e.g. 9, driver not loaded)
//   FAKE_NVML_BAD_INDEX=<i>      nvmlDeviceGetHandleByIndex_v2(i) fails
//   FAKE_NVML_NO_GI_ACCESS=1     GPU-instance queries answer NO_PERMISSION
#include <cstdlib>
#include <cstring>

#include "plinth/gpu/nvml_types.h"

namespace nvml = plinth::gpu::nvml;

namespace {

constexpr unsigned long long kMib = 1024ull * 1024ull;

struct FakeDevice {
  const char* name;
  const char* uuid;
  unsigned long long memory_mib;
  unsigned long long used_mib;
  bool mig;
  unsigned int gi_id;   // MIG devices
  unsigned int slices;  // compute slices (MIG devices)
  nvml::GpuInstancePlacement placement;
};

FakeDevice g_gpus[2] = {
    {"NVIDIA H100 80GB HBM3",
     "GPU-00000000-1111-2222-3333-444444444444",
     81559,
     1024,
     false,
     0,
     0,
     {0, 0}},
    {"NVIDIA H100 80GB HBM3",
     "GPU-55555555-6666-7777-8888-999999999999",
     81559,
     0,
     true,
     0,
     0,
     {0, 0}},
};
FakeDevice g_migs[2] = {
    {"NVIDIA H100 80GB HBM3 MIG 3g.40gb",
     "MIG-aaaaaaaa-0000-0000-0000-000000000003",
     40192,
     0,
     false,
     1,
     3,
     {4, 4}},
    {"NVIDIA H100 80GB HBM3 MIG 1g.10gb",
     "MIG-bbbbbbbb-0000-0000-0000-000000000001",
     9728,
     0,
     false,
     9,
     1,
     {0, 1}},
};
int g_init_count = 0;
long g_bad_index = -1;
bool g_no_gi_access = false;

FakeDevice* Of(nvml::Device device) { return reinterpret_cast<FakeDevice*>(device); }
nvml::Device Handle(FakeDevice* device) { return reinterpret_cast<nvml::Device>(device); }
[[maybe_unused]] bool IsMig(nvml::Device device) {
  return Of(device) == &g_migs[0] || Of(device) == &g_migs[1];
}

nvml::Return CopyString(const char* text, char* out, unsigned int length) {
  if (std::strlen(text) + 1 > length) return 7;  // NVML_ERROR_INSUFFICIENT_SIZE
  std::strcpy(out, text);
  return nvml::kSuccess;
}

}  // namespace

extern "C" {

// Test hook: nvmlInit_v2 calls minus nvmlShutdown calls.
__attribute__((visibility("default"))) int fakeNvmlInitCount() { return g_init_count; }

nvml::Return nvmlInit_v2() {
  const char* result = std::getenv("FAKE_NVML_INIT_RESULT");
  if (result != nullptr && std::atoi(result) != 0) return std::atoi(result);
  const char* bad = std::getenv("FAKE_NVML_BAD_INDEX");
  g_bad_index = bad != nullptr ? std::atol(bad) : -1;
  g_no_gi_access = std::getenv("FAKE_NVML_NO_GI_ACCESS") != nullptr;
  ++g_init_count;
  return nvml::kSuccess;
}

nvml::Return nvmlShutdown() {
  --g_init_count;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = 2;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvml::Device* device) {
  if (index >= 2) return 2;                                // NVML_ERROR_INVALID_ARGUMENT
  if (static_cast<long>(index) == g_bad_index) return 15;  // NVML_ERROR_GPU_IS_LOST
  *device = Handle(&g_gpus[index]);
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetName(nvml::Device device, char* name, unsigned int length) {
  return CopyString(Of(device)->name, name, length);
}

// v1 counts reserved memory as used.
nvml::Return nvmlDeviceGetMemoryInfo(nvml::Device device, nvml::Memory* memory) {
  memory->total = Of(device)->memory_mib * kMib;
  memory->used = (Of(device)->used_mib + 512) * kMib;
  memory->free = memory->total - memory->used;
  return nvml::kSuccess;
}

#ifndef FAKE_NVML_MINIMAL

// Like the real v2, `used` leaves out 512 MiB the driver reserves.
nvml::Return nvmlDeviceGetMemoryInfo_v2(nvml::Device device, nvml::MemoryV2* memory) {
  if (memory->version != nvml::kMemoryV2Version) return 25;  // ARGUMENT_VERSION_MISMATCH
  memory->total = Of(device)->memory_mib * kMib;
  memory->reserved = 512 * kMib;
  memory->used = Of(device)->used_mib * kMib;
  memory->free = memory->total - memory->reserved - memory->used;
  return nvml::kSuccess;
}

const char* nvmlErrorString(nvml::Return rc) {
  switch (rc) {
    case 3:
      return "Not Supported";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

nvml::Return nvmlDeviceGetUUID(nvml::Device device, char* uuid, unsigned int length) {
  return CopyString(Of(device)->uuid, uuid, length);
}

// GPUs in MIG mode report no utilisation, as real ones do.
nvml::Return nvmlDeviceGetUtilizationRates(nvml::Device device, nvml::Utilization* utilization) {
  if (Of(device)->mig || IsMig(device)) return nvml::kErrorNotSupported;
  utilization->gpu = 37;
  utilization->memory = 12;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetPowerUsage(nvml::Device device, unsigned int* milliwatts) {
  *milliwatts = Of(device)->mig ? 90000 : 312500;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetTemperature(nvml::Device device, int sensor, unsigned int* celsius) {
  if (sensor != nvml::kTemperatureGpu) return 2;
  *celsius = Of(device)->mig ? 33 : 51;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetMigMode(nvml::Device device, unsigned int* current,
                                  unsigned int* pending) {
  *current = *pending = Of(device)->mig ? 1 : 0;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetMaxMigDeviceCount(nvml::Device device, unsigned int* count) {
  *count = Of(device)->mig ? 7 : 0;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetMigDeviceHandleByIndex(nvml::Device device, unsigned int index,
                                                 nvml::Device* mig) {
  if (!Of(device)->mig) return nvml::kErrorNotSupported;
  if (index == 0)
    *mig = Handle(&g_migs[0]);
  else if (index == 2)
    *mig = Handle(&g_migs[1]);
  else
    return nvml::kErrorNotFound;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetGpuInstanceId(nvml::Device device, unsigned int* id) {
  if (!IsMig(device)) return nvml::kErrorNotSupported;
  *id = Of(device)->gi_id;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetAttributes_v2(nvml::Device device, nvml::DeviceAttributes* attributes) {
  std::memset(attributes, 0, sizeof(*attributes));
  attributes->gpu_instance_slice_count = IsMig(device) ? Of(device)->slices : 0;
  attributes->memory_size_mb = Of(device)->memory_mib;
  return nvml::kSuccess;
}

nvml::Return nvmlDeviceGetGpuInstanceById(nvml::Device device, unsigned int id,
                                          nvml::GpuInstance* instance) {
  if (g_no_gi_access) return 4;  // NVML_ERROR_NO_PERMISSION
  for (FakeDevice& mig : g_migs) {
    if (Of(device) == &g_gpus[1] && mig.gi_id == id) {
      *instance = reinterpret_cast<nvml::GpuInstance>(&mig);
      return nvml::kSuccess;
    }
  }
  return nvml::kErrorNotFound;
}

nvml::Return nvmlGpuInstanceGetInfo(nvml::GpuInstance instance, nvml::GpuInstanceInfo* info) {
  FakeDevice* mig = reinterpret_cast<FakeDevice*>(instance);
  info->device = Handle(&g_gpus[1]);
  info->id = mig->gi_id;
  info->profile_id = mig->slices == 3 ? 9 : 19;
  info->placement = mig->placement;
  return nvml::kSuccess;
}

#endif  // FAKE_NVML_MINIMAL

}  // extern "C"
