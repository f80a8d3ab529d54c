#include "ordo/version.h"

namespace ordo {

const char* version() {
  return ORDO_VERSION_STRING;
}

}  // namespace ordo
