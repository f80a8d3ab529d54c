#include "serve_connection.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <memory>

namespace ordo::cli {
namespace {

// The address and port of a socket end, as httplib writes them (inet_ntop, host order).
bool describe(const sockaddr_storage& address, std::string& host, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    if (!inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text)) return false;
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (!inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text)) return false;
    port = ntohs(v6.sin6_port);
  } else {
    return false;
  }
  host = text;
  return true;
}

bool end_is(int socket, bool peer, const std::string& host, int port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if ((peer ? getpeername(socket, raw, &length) : getsockname(socket, raw, &length)) != 0)
    return false;
  std::string found_host;
  int found_port = -1;
  return describe(address, found_host, found_port) && found_port == port && found_host == host;
}

}  // namespace

bool ClientConnection::gone() {
  if (!looked_up_) {
    looked_up_ = true;
    const std::unique_ptr<DIR, int (*)(DIR*)> descriptors(opendir("/proc/self/fd"), closedir);
    if (!descriptors) return false;
    // getpeername alone sorts out what is not a connected socket (ENOTSOCK, ENOTCONN): one
    // system call per descriptor, a second only for the match.
    while (const dirent* entry = readdir(descriptors.get())) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      const int fd = std::atoi(entry->d_name);
      if (end_is(fd, true, remote_addr_, remote_port_) &&
          end_is(fd, false, local_addr_, local_port_)) {
        socket_ = fd;
        break;
      }
    }
  }
  if (socket_ < 0) return false;
  pollfd watch{socket_, POLLIN | POLLRDHUP, 0};
  if (poll(&watch, 1, 0) <= 0) return false;
  return (watch.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace ordo::cli
