#include "png.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace ordo::cli {
namespace {

void put_u32(std::string& out, uint32_t value) {  // PNG and zlib are big-endian
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

uint32_t crc32(const std::string& bytes, size_t begin) {  // PNG's CRC (ISO 3309), table-driven
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t i = begin; i < bytes.size(); ++i)
    c = table[(c ^ static_cast<unsigned char>(bytes[i])) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

// A chunk: length, type, data, CRC of type and data.
void put_chunk(std::string& png, const char* type, const std::string& data) {
  put_u32(png, static_cast<uint32_t>(data.size()));
  const size_t typed = png.size();
  png += type;
  png += data;
  put_u32(png, crc32(png, typed));
}

// A zlib stream of stored (uncompressed) deflate blocks, at most 65,535 bytes each.
std::string zlib_stored(const std::string& data) {
  std::string out = {'\x78', '\x01'};  // deflate, 32 KiB window; 0x7801 is a multiple of 31
  constexpr size_t kBlock = 65535;
  size_t at = 0;
  do {
    const size_t length = std::min(kBlock, data.size() - at);
    const bool last = at + length == data.size();
    out += static_cast<char>(last ? 1 : 0);   // BFINAL, BTYPE 00
    out += static_cast<char>(length & 0xff);  // LEN and NLEN, little-endian
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(~length & 0xff);
    out += static_cast<char>((~length >> 8) & 0xff);
    out.append(data, at, length);
    at += length;
  } while (at < data.size());
  uint32_t a = 1, b = 0;  // Adler-32
  for (const char byte : data) {
    a = (a + static_cast<unsigned char>(byte)) % 65521;
    b = (b + a) % 65521;
  }
  put_u32(out, (b << 16) | a);
  return out;
}

}  // namespace

std::string png_rgb(int64_t width, int64_t height, const std::vector<unsigned char>& rgb) {
  if (width <= 0 || height <= 0 || rgb.size() != static_cast<size_t>(width * height * 3)) {
    throw std::invalid_argument("png_rgb: " + std::to_string(rgb.size()) + " bytes for " +
                                std::to_string(width) + " x " + std::to_string(height) + " pixels");
  }
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string header;
  put_u32(header, static_cast<uint32_t>(width));
  put_u32(header, static_cast<uint32_t>(height));
  header +=
      {'\x08', '\x02', '\x00', '\x00', '\x00'};  // 8 bits, RGB, deflate, no filter, no interlace
  put_chunk(png, "IHDR", header);
  std::string rows;
  const size_t stride = static_cast<size_t>(width) * 3;
  for (int64_t y = 0; y < height; ++y) {
    rows += '\0';  // filter type None
    rows.append(reinterpret_cast<const char*>(rgb.data()) + static_cast<size_t>(y) * stride,
                stride);
  }
  put_chunk(png, "IDAT", zlib_stored(rows));
  put_chunk(png, "IEND", "");
  return png;
}

}  // namespace ordo::cli
