#pragma once
// Pictures embedded in SVG: an RGB image as PNG bytes (base64.h makes the data: URI).
// Why: a heatmap of 128 x 128 cells drawn as a rectangle (and hover title) per cell made a
// 3.6 MB SVG for two maps; as one image of a pixel per cell it is about 66 KB a map. The PNG
// is uncompressed (zlib "stored" blocks): no compression library for a few tens of KB.
#include <cstdint>
#include <string>
#include <vector>

namespace ordo::cli {

// `rgb` holds height rows of width pixels, 3 bytes each (red, green, blue), top row first.
std::string png_rgb(int64_t width, int64_t height, const std::vector<unsigned char>& rgb);

}  // namespace ordo::cli
