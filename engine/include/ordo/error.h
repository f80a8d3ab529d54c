#pragma once
// The one exception type ordo throws. Messages name the file, tensor or field at fault.
#include <stdexcept>
#include <string>

namespace ordo {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ordo
