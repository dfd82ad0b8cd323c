#include "plinth/gpu/nvml_gpu_source.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "plinth/gpu/host_info.h"
#include "plinth/gpu/mig_profiles.h"
#include "plinth/gpu/model_names.h"

namespace plinth::gpu {

// The library handle and its symbols. Required ones are non-null; optional
// ones (newer NVML, or MIG queries) may be null and are then skipped.
struct NvmlApi {
  void* library = nullptr;
  nvml::ShutdownFn shutdown = nullptr;
  nvml::ErrorStringFn error_string = nullptr;
  nvml::GetCountFn get_count = nullptr;
  nvml::GetHandleByIndexFn get_handle_by_index = nullptr;
  nvml::GetStringFn get_name = nullptr;
  nvml::GetStringFn get_uuid = nullptr;
  nvml::GetMemoryInfoFn get_memory_info = nullptr;
  nvml::GetMemoryInfoV2Fn get_memory_info_v2 = nullptr;
  nvml::GetUtilizationRatesFn get_utilization_rates = nullptr;
  nvml::GetUintFn get_power_usage = nullptr;
  nvml::GetTemperatureFn get_temperature = nullptr;
  nvml::GetMigModeFn get_mig_mode = nullptr;
  nvml::GetUintFn get_max_mig_device_count = nullptr;
  nvml::GetMigDeviceHandleByIndexFn get_mig_device_handle_by_index = nullptr;
  nvml::GetUintFn get_gpu_instance_id = nullptr;
  nvml::GetAttributesFn get_attributes = nullptr;
  nvml::GetGpuInstanceByIdFn get_gpu_instance_by_id = nullptr;
  nvml::GpuInstanceGetInfoFn gpu_instance_get_info = nullptr;

  std::string ErrorText(nvml::Return rc) const {
    const char* text = error_string != nullptr ? error_string(rc) : nullptr;
    return text != nullptr ? absl::StrCat(text, " (", rc, ")") : absl::StrCat("NVML error ", rc);
  }
};

namespace {

template <typename Fn>
Fn Symbol(void* library, const char* name) {
  return reinterpret_cast<Fn>(dlsym(library, name));
}

constexpr int64_t kMib = 1024 * 1024;

// Reads a NUL-terminated string NVML writes into a fixed buffer; "" on error.
std::string ReadString(nvml::GetStringFn fn, nvml::Device device, unsigned int size) {
  if (fn == nullptr) return "";
  std::string buffer(size, '\0');
  if (fn(device, buffer.data(), size) != nvml::kSuccess) return "";
  buffer.resize(buffer.find('\0') == std::string::npos ? size : buffer.find('\0'));
  return buffer;
}

// Loads `library` and initialises NVML; null (after logging why) when this
// machine has no usable NVML.
std::unique_ptr<NvmlApi> LoadNvml(const std::string& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    spdlog::info("NVML not found ({}): this node reports no GPUs", why != nullptr ? why : library);
    return nullptr;
  }
  auto api = std::make_unique<NvmlApi>();
  api->library = handle;
  auto init = Symbol<nvml::InitFn>(handle, "nvmlInit_v2");
  api->shutdown = Symbol<nvml::ShutdownFn>(handle, "nvmlShutdown");
  api->get_count = Symbol<nvml::GetCountFn>(handle, "nvmlDeviceGetCount_v2");
  api->get_handle_by_index =
      Symbol<nvml::GetHandleByIndexFn>(handle, "nvmlDeviceGetHandleByIndex_v2");
  if (init == nullptr || api->shutdown == nullptr || api->get_count == nullptr ||
      api->get_handle_by_index == nullptr) {
    spdlog::warn("{} lacks the NVML v2 entry points (driver too old?): no GPUs reported", library);
    dlclose(handle);
    return nullptr;
  }
  api->error_string = Symbol<nvml::ErrorStringFn>(handle, "nvmlErrorString");
  api->get_name = Symbol<nvml::GetStringFn>(handle, "nvmlDeviceGetName");
  api->get_uuid = Symbol<nvml::GetStringFn>(handle, "nvmlDeviceGetUUID");
  api->get_memory_info = Symbol<nvml::GetMemoryInfoFn>(handle, "nvmlDeviceGetMemoryInfo");
  api->get_memory_info_v2 = Symbol<nvml::GetMemoryInfoV2Fn>(handle, "nvmlDeviceGetMemoryInfo_v2");
  api->get_utilization_rates =
      Symbol<nvml::GetUtilizationRatesFn>(handle, "nvmlDeviceGetUtilizationRates");
  api->get_power_usage = Symbol<nvml::GetUintFn>(handle, "nvmlDeviceGetPowerUsage");
  api->get_temperature = Symbol<nvml::GetTemperatureFn>(handle, "nvmlDeviceGetTemperature");
  api->get_mig_mode = Symbol<nvml::GetMigModeFn>(handle, "nvmlDeviceGetMigMode");
  api->get_max_mig_device_count = Symbol<nvml::GetUintFn>(handle, "nvmlDeviceGetMaxMigDeviceCount");
  api->get_mig_device_handle_by_index =
      Symbol<nvml::GetMigDeviceHandleByIndexFn>(handle, "nvmlDeviceGetMigDeviceHandleByIndex");
  api->get_gpu_instance_id = Symbol<nvml::GetUintFn>(handle, "nvmlDeviceGetGpuInstanceId");
  // Only _v2 fills the slice counts; the v1 struct is shorter.
  api->get_attributes = Symbol<nvml::GetAttributesFn>(handle, "nvmlDeviceGetAttributes_v2");
  api->get_gpu_instance_by_id =
      Symbol<nvml::GetGpuInstanceByIdFn>(handle, "nvmlDeviceGetGpuInstanceById");
  api->gpu_instance_get_info = Symbol<nvml::GpuInstanceGetInfoFn>(handle, "nvmlGpuInstanceGetInfo");
  if (nvml::Return rc = init(); rc != nvml::kSuccess) {
    spdlog::warn("NVML could not start ({}): no GPUs reported", api->ErrorText(rc));
    dlclose(handle);
    return nullptr;
  }
  return api;
}

}  // namespace

NvmlGpuSource::NvmlGpuSource(std::unique_ptr<NvmlApi> api) : api_(std::move(api)) {}

NvmlGpuSource::~NvmlGpuSource() {
  if (api_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  api_->shutdown();
  dlclose(api_->library);
}

absl::StatusOr<std::unique_ptr<NvmlGpuSource>> NvmlGpuSource::Create(const std::string& library) {
  if (library.empty()) {
    return absl::InvalidArgumentError("NVML library name is empty; use libnvidia-ml.so.1");
  }
  return std::unique_ptr<NvmlGpuSource>(new NvmlGpuSource(LoadNvml(library)));
}

absl::StatusOr<std::vector<Node>> NvmlGpuSource::Discover() {
  if (api_ == nullptr) return std::vector<Node>{};
  std::lock_guard<std::mutex> lock(mu_);
  unsigned int count = 0;
  if (nvml::Return rc = api_->get_count(&count); rc != nvml::kSuccess) {
    return absl::UnavailableError(absl::StrCat("NVML cannot count GPUs: ", api_->ErrorText(rc)));
  }
  Node node;
  for (unsigned int i = 0; i < count; ++i) {
    nvml::Device device = nullptr;
    if (nvml::Return rc = api_->get_handle_by_index(i, &device); rc != nvml::kSuccess) {
      spdlog::warn("NVML GPU {} skipped: {}", i, api_->ErrorText(rc));
      continue;
    }
    node.gpus.push_back(ReadGpu(static_cast<int>(i), device));
  }
  if (node.gpus.empty()) return std::vector<Node>{};
  node.name = LocalHostName();
  node.cpus = static_cast<int>(std::thread::hardware_concurrency());
  node.memory_mib = LocalMemoryMib();
  std::vector<Node> nodes;
  nodes.push_back(std::move(node));
  return nodes;
}

Gpu NvmlGpuSource::ReadGpu(int index, nvml::Device device) {
  const NvmlApi& api = *api_;
  Gpu gpu;
  gpu.index = index;
  gpu.product_name = ReadString(api.get_name, device, nvml::kNameBufferSize);
  gpu.uuid = ReadString(api.get_uuid, device, nvml::kUuidBufferSize);
  // v2 counts driver-reserved memory apart from `used`, as nvidia-smi
  // does; v1's `used` includes it.
  nvml::MemoryV2 memory_v2{};
  memory_v2.version = nvml::kMemoryV2Version;
  nvml::Memory memory{};
  if (api.get_memory_info_v2 != nullptr &&
      api.get_memory_info_v2(device, &memory_v2) == nvml::kSuccess) {
    gpu.memory_total_mib = static_cast<int64_t>(memory_v2.total / kMib);
    gpu.memory_used_mib = static_cast<int64_t>(memory_v2.used / kMib);
  } else if (api.get_memory_info != nullptr &&
             api.get_memory_info(device, &memory) == nvml::kSuccess) {
    gpu.memory_total_mib = static_cast<int64_t>(memory.total / kMib);
    gpu.memory_used_mib = static_cast<int64_t>(memory.used / kMib);
  }
  nvml::Utilization utilization{};
  if (api.get_utilization_rates != nullptr &&
      api.get_utilization_rates(device, &utilization) == nvml::kSuccess) {
    gpu.utilization_pct = static_cast<int>(utilization.gpu);
    gpu.memory_util_pct = static_cast<int>(utilization.memory);
  }
  unsigned int value = 0;
  if (api.get_power_usage != nullptr && api.get_power_usage(device, &value) == nvml::kSuccess) {
    gpu.power_mw = value;
  }
  if (api.get_temperature != nullptr &&
      api.get_temperature(device, nvml::kTemperatureGpu, &value) == nvml::kSuccess) {
    gpu.temperature_c = static_cast<int>(value);
  }
  gpu.model = NormalizeModelName(gpu.product_name, gpu.memory_total_mib);
  unsigned int current = 0, pending = 0;
  if (api.get_mig_mode != nullptr &&
      api.get_mig_mode(device, &current, &pending) == nvml::kSuccess) {
    gpu.mig_enabled = current == nvml::kMigEnabled;
  }
  if (gpu.mig_enabled) gpu.mig_instances = ReadMigInstances(device, gpu);
  return gpu;
}

std::vector<MigInstance> NvmlGpuSource::ReadMigInstances(nvml::Device device, const Gpu& parent) {
  const NvmlApi& api = *api_;
  std::vector<MigInstance> instances;
  unsigned int max_count = 0;
  if (api.get_max_mig_device_count == nullptr || api.get_mig_device_handle_by_index == nullptr ||
      api.get_max_mig_device_count(device, &max_count) != nvml::kSuccess) {
    return instances;
  }
  // Profile names count memory in eighths of the advertised size.
  absl::StatusOr<int64_t> model_mib = ModelMemoryMib(parent.model);
  int parent_gb = model_mib.ok() ? static_cast<int>(*model_mib / 1024)
                                 : MarketedMemoryGb(parent.memory_total_mib);
  for (unsigned int j = 0; j < max_count; ++j) {
    nvml::Device mig = nullptr;
    // Indices without an instance answer NOT_FOUND.
    if (api.get_mig_device_handle_by_index(device, j, &mig) != nvml::kSuccess) continue;
    MigInstance instance;
    instance.start = -1;
    instance.uuid = ReadString(api.get_uuid, mig, nvml::kUuidBufferSize);
    nvml::Memory memory{};
    if (api.get_memory_info != nullptr && api.get_memory_info(mig, &memory) == nvml::kSuccess) {
      instance.memory_total_mib = static_cast<int64_t>(memory.total / kMib);
    }
    // The placement (memory slices) needs the GPU instance, which some
    // drivers show only to privileged users; the memory ratio is the
    // fallback for the slice count.
    int memory_slices = 0;
    unsigned int gi_id = 0;
    nvml::GpuInstance gi = nullptr;
    nvml::GpuInstanceInfo info{};
    if (api.get_gpu_instance_id != nullptr && api.get_gpu_instance_by_id != nullptr &&
        api.gpu_instance_get_info != nullptr &&
        api.get_gpu_instance_id(mig, &gi_id) == nvml::kSuccess &&
        api.get_gpu_instance_by_id(device, gi_id, &gi) == nvml::kSuccess &&
        api.gpu_instance_get_info(gi, &info) == nvml::kSuccess) {
      instance.start = static_cast<int>(info.placement.start);
      memory_slices = static_cast<int>(info.placement.size);
    } else if (parent.memory_total_mib > 0 && instance.memory_total_mib > 0) {
      memory_slices = static_cast<int>(
          std::lround(static_cast<double>(kMigMemorySlices) * instance.memory_total_mib /
                      static_cast<double>(parent.memory_total_mib)));
    }
    nvml::DeviceAttributes attributes{};
    if (api.get_attributes != nullptr && memory_slices > 0 &&
        api.get_attributes(mig, &attributes) == nvml::kSuccess &&
        attributes.gpu_instance_slice_count > 0) {
      instance.profile = MigProfileName(static_cast<int>(attributes.gpu_instance_slice_count),
                                        memory_slices, parent_gb);
    }
    instances.push_back(std::move(instance));
  }
  return instances;
}

}  // namespace plinth::gpu
