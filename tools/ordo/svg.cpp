#include "svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ordo::cli {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// White to deep blue; a square root stretches the small probabilities that dominate a map.
std::string heat_colour(float weight) {
  const double t = std::sqrt(std::clamp(static_cast<double>(weight), 0.0, 1.0));
  const int r = static_cast<int>(247 - t * (247 - 8)), g = static_cast<int>(251 - t * (251 - 48)),
            b = static_cast<int>(255 - t * (255 - 107));
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", r, g, b);
  return text;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string attention_pair_svg(const std::string& title, const std::string& caption,
                               const std::vector<AttentionMap>& maps,
                               const std::vector<DriftBar>& bars, const std::string& bar_label) {
  size_t longest = 1;
  for (const auto& map : maps) longest = std::max(longest, map.tokens.size());
  // Cells shrink with length but never below what a 9-pixel label needs (40 tokens: 14 px).
  const double cell = std::clamp(560.0 / static_cast<double>(longest), 14.0, 32.0);
  const double label_width = 90, top = 150, gap = 60;
  const double map_size = cell * static_cast<double>(longest);
  const double width = 20 + static_cast<double>(maps.size()) * (label_width + map_size + gap);
  const double bars_top = top + map_size + 40, bar_height = 120;
  const double bar_width =
      std::max(14.0, std::min(40.0, (width - 140) / std::max<size_t>(bars.size(), 1)));
  const double height = bars_top + bar_height + 110;
  const double font = std::min(12.0, cell * 0.7);

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(width) << "\" height=\""
      << number(height) << "\" viewBox=\"0 0 " << number(width) << ' ' << number(height)
      << "\" font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"20\" y=\"28\" font-size=\"18\" font-weight=\"bold\">" << xml_escape(title)
      << "</text>\n"
      << "<text x=\"20\" y=\"50\" font-size=\"13\" fill=\"#444\">" << xml_escape(caption)
      << "</text>\n";
  double left = 20 + label_width;
  for (const auto& map : maps) {
    const size_t n = map.tokens.size();
    svg << "<text x=\"" << number(left) << "\" y=\"76\" font-size=\"14\" font-weight=\"bold\">"
        << xml_escape(map.title) << "</text>\n";
    for (size_t i = 0; i < n; ++i) {
      const double x = left + cell * static_cast<double>(i) + cell / 2,
                   y = top + cell * static_cast<double>(i) + cell / 2;
      svg << "<text x=\"" << number(left - 4) << "\" y=\"" << number(y + font / 3)
          << "\" font-size=\"" << number(font) << "\" text-anchor=\"end\">"
          << xml_escape(map.tokens[i]) << "</text>\n"
          << "<text transform=\"translate(" << number(x + font / 3) << ',' << number(top - 4)
          << ") rotate(-60)\" font-size=\"" << number(font) << "\">" << xml_escape(map.tokens[i])
          << "</text>\n";
      for (size_t j = 0; j < n; ++j) {
        const float weight = map.weights[i * n + j];
        svg << "<rect x=\"" << number(left + cell * static_cast<double>(j)) << "\" y=\""
            << number(top + cell * static_cast<double>(i)) << "\" width=\"" << number(cell)
            << "\" height=\"" << number(cell) << "\" fill=\"" << heat_colour(weight) << "\"><title>"
            << xml_escape(map.tokens[i]) << " → " << xml_escape(map.tokens[j]) << ": " << weight
            << "</title></rect>\n";
      }
    }
    svg << "<rect x=\"" << number(left) << "\" y=\"" << number(top) << "\" width=\""
        << number(cell * n) << "\" height=\"" << number(cell * n)
        << "\" fill=\"none\" stroke=\"#888\"/>\n";
    left += map_size + label_width + gap;
  }

  double largest = 0;
  for (const auto& bar : bars) largest = std::max(largest, bar.value);
  // Float rounding (~1e-6) must not fill the chart when nothing moved: the scale starts at 0.01.
  const double scale = std::max(largest, 0.01);
  svg << "<text x=\"20\" y=\"" << number(bars_top - 10)
      << "\" font-size=\"14\" font-weight=\"bold\">" << xml_escape(bar_label) << " (largest "
      << largest << ")</text>\n";
  const double baseline = bars_top + bar_height;
  svg << "<line x1=\"110\" x2=\"" << number(110 + bar_width * static_cast<double>(bars.size()))
      << "\" y1=\"" << number(baseline) << "\" y2=\"" << number(baseline)
      << "\" stroke=\"#444\"/>\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double h = bar_height * bars[i].value / scale,
                 x = 110 + bar_width * static_cast<double>(i);
    svg << "<rect x=\"" << number(x + 2) << "\" y=\"" << number(baseline - h) << "\" width=\""
        << number(bar_width - 4) << "\" height=\"" << number(h) << "\" fill=\"#d9480f\"><title>"
        << xml_escape(bars[i].token) << ": " << bars[i].value << "</title></rect>\n"
        << "<text transform=\"translate(" << number(x + bar_width / 2 + 4) << ','
        << number(baseline + 8) << ") rotate(60)\" font-size=\"11\">" << xml_escape(bars[i].token)
        << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace ordo::cli
