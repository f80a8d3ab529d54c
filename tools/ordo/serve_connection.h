#pragma once
// Whether the client behind an HTTP request is still there. cpp-httplib 0.11 (Debian 12's)
// gives a handler the connection's addresses but not its socket, and never reports a client
// that hangs up while its request waits in the batcher's queue. So the socket is found once,
// by those addresses, among the process's open descriptors (Linux: /proc/self/fd), and polled
// for the peer's FIN. The descriptor cannot be reused meanwhile: the handler's own thread
// closes it, after the handler returns.
#include <string>

namespace ordo::cli {

class ClientConnection {
 public:
  ClientConnection(std::string remote_addr, int remote_port, std::string local_addr, int local_port)
      : remote_addr_(std::move(remote_addr)),
        local_addr_(std::move(local_addr)),
        remote_port_(remote_port),
        local_port_(local_port) {}

  // True once the client has closed (or half-closed: it cannot be told apart from a close
  // before the answer is written) or reset the connection. The first call looks the socket
  // up; when it cannot be found, the client is taken to be there.
  bool gone();

 private:
  std::string remote_addr_, local_addr_;
  int remote_port_, local_port_;
  bool looked_up_ = false;
  int socket_ = -1;
};

}  // namespace ordo::cli
