// libFuzzer target: the safetensors reader on raw bytes (a downloaded model.safetensors).
// Whatever the bytes, the reader accepts the file or throws ordo::Error. An accepted file keeps
// the format's promises: its tensors tile the data section exactly, each spans its shape's
// byte size, and every element of every tensor can be read (ASan checks each read).
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "io/safetensors.h"
#include "ordo/error.h"

namespace {

using ordo::io::DType;

bool is_float(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

void check_tensor(const ordo::io::SafetensorsFile& file, const std::string& name,
                  uint64_t data_length) {
  const ordo::io::TensorInfo& info = file.info(name);
  FUZZ_CHECK(info.begin <= info.end && info.end <= data_length, "tensor '" + name + "' offsets");
  uint64_t elements = 1;
  for (int64_t dimension : info.shape) {
    FUZZ_CHECK(dimension >= 0, "negative dimension in '" + name + "'");
    elements *= static_cast<uint64_t>(dimension);  // the reader rejected any overflow
  }
  FUZZ_CHECK(elements * ordo::io::dtype_size(info.dtype) == info.end - info.begin,
             "tensor '" + name + "' spans other than its shape's bytes");
  volatile float sink = 0.0f;  // reads every element, so ASan sees any read out of the mapping
  if (is_float(info.dtype)) {
    const ordo::TensorView view = file.f32(name);
    FUZZ_CHECK(static_cast<uint64_t>(view.numel()) == elements, "f32() element count");
    for (uint64_t i = 0; i < elements; ++i) sink = sink + view.data[i];
    FUZZ_CHECK(file.f32(name).data == view.data, "a converted tensor moved between calls");
  } else if (info.dtype == DType::I64) {
    FUZZ_CHECK(file.i64(name).size() == elements, "i64() element count");
  } else {
    try {
      file.f32(name);
      FUZZ_CHECK(false,
                 "f32() read a " + std::string(ordo::io::dtype_name(info.dtype)) + " tensor");
    } catch (const ordo::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ordo::fuzz::MemoryFile file("model.safetensors");
  file.assign(data, size);
  try {
    const ordo::io::SafetensorsFile safetensors(file.path());
    FUZZ_CHECK(size >= 8, "accepted a file shorter than its length field");
    uint64_t header_length = 0;
    std::memcpy(&header_length, data, sizeof header_length);
    FUZZ_CHECK(header_length <= size - 8, "accepted a header longer than the file");
    const uint64_t data_length = size - 8 - header_length;
    uint64_t covered = 0;
    for (const std::string& name : safetensors.names()) {
      FUZZ_CHECK(safetensors.contains(name), "names() lists an absent tensor");
      check_tensor(safetensors, name, data_length);
      const auto& info = safetensors.info(name);
      covered += info.end - info.begin;
    }
    FUZZ_CHECK(covered == data_length, "accepted tensors do not tile the data section");
    for (const auto& [key, value] : safetensors.metadata()) {
      FUZZ_CHECK(key.size() + value.size() <= header_length, "metadata larger than the header");
    }
  } catch (const ordo::Error&) {
    // A precise rejection is the expected outcome for almost every input.
  }
  return 0;
}
