// The public enums and their string forms, through the engine's own names, so that the CLI,
// config files and the API spell every value the same way.
#include "ordo/types.h"

#include "enums.h"
#include "ordo/error.h"

namespace ordo {

Pooling to_engine(PoolingMode pooling) {
  switch (pooling) {
    case PoolingMode::mean:
      return Pooling::mean;
    case PoolingMode::cls:
      return Pooling::cls;
    case PoolingMode::max:
      return Pooling::max;
    case PoolingMode::mean_sqrt_len:
      return Pooling::mean_sqrt_len;
    case PoolingMode::pooler:
      return Pooling::pooler;
  }
  throw Error("PoolingMode " + std::to_string(static_cast<int>(pooling)) +
              " is not one of its values");
}

PoolingMode from_engine(Pooling pooling) {
  for (PoolingMode mode : {PoolingMode::mean, PoolingMode::cls, PoolingMode::max,
                           PoolingMode::mean_sqrt_len, PoolingMode::pooler}) {
    if (to_engine(mode) == pooling) return mode;
  }
  return PoolingMode::mean;
}

// The public enums list the engine's values in the same order, so a cast converts them.
static_assert(static_cast<int>(PositionalEncoding::relative_bias) ==
                  static_cast<int>(PositionKind::relative_bias) &&
              static_cast<int>(PositionalEncoding::sinusoidal_blocked) ==
                  static_cast<int>(PositionKind::sinusoidal_blocked) &&
              static_cast<int>(PositionalEncoding::rotary) ==
                  static_cast<int>(PositionKind::rotary));
static_assert(static_cast<int>(DType::int8) == static_cast<int>(ComputeType::int8) &&
              static_cast<int>(DType::bf16) == static_cast<int>(ComputeType::bf16));
PositionKind to_engine(PositionalEncoding encoding) {
  return static_cast<PositionKind>(encoding);
}
PositionalEncoding from_engine(PositionKind kind) {
  return static_cast<PositionalEncoding>(kind);
}
ComputeType to_engine(DType dtype) {
  return static_cast<ComputeType>(dtype);
}
DType from_engine(ComputeType type) {
  return static_cast<DType>(type);
}

const char* to_string(PoolingMode pooling) {
  return to_string(to_engine(pooling));
}
const char* to_string(DType dtype) {
  return to_string(to_engine(dtype));
}
const char* to_string(PositionalEncoding encoding) {
  return to_string(to_engine(encoding));
}

PoolingMode parse_pooling_mode(const std::string& name) {
  return from_engine(parse_pooling(name));
}
DType parse_dtype(const std::string& name) {
  return from_engine(parse_compute_type(name));
}
PositionalEncoding parse_positional_encoding(const std::string& name) {
  return from_engine(parse_position_kind(name));
}

}  // namespace ordo
