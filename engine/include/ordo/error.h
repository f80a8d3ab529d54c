#pragma once
// The one exception type ordo throws. Its message says what is wrong and where: the file,
// tensor or config field at fault ("DIR/config.json: field 'hidden_size' ..."), the option
// ("Options::pooling is \"avg\" ..."), or the input ("input 2, token 5: id 99 is outside ...").
// The library never prints and never exits; every failure reaches the caller as an ordo::Error
// (or std::bad_alloc when memory runs out).
#include <stdexcept>
#include <string>

#include "ordo/export.h"

namespace ordo {

class ORDO_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Defined in the library, so that its type_info is one object that `catch (const
  // ordo::Error&)` in an application matches across the shared-library boundary.
  ~Error() override;
};

}  // namespace ordo
