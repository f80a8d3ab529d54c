#pragma once
// The public enums (ordo/types.h) to the engine's and back; internal to api/.
#include "core/encoder.h"
#include "ordo/types.h"

namespace ordo {
Pooling to_engine(PoolingMode pooling);
PoolingMode from_engine(Pooling pooling);
PositionKind to_engine(PositionalEncoding encoding);
PositionalEncoding from_engine(PositionKind kind);
ComputeType to_engine(DType dtype);
DType from_engine(ComputeType type);
}  // namespace ordo
