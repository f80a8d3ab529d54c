#include "ordo/error.h"

namespace ordo {

Error::~Error() = default;

}  // namespace ordo
