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

// An axis label: as many decimals as the value needs, up to three (0.25 stays 0.25).
std::string tick(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

// Width of a text in pixels at `size`, from its characters' East Asian widths: Latin about 0.6
// of the font size, CJK and other wide characters a full em. An estimate with a margin (the
// font is the viewer's), used so that no title, caption or legend runs off the drawing.
double text_width(const std::string& text, double size) {
  double ems = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    ems += length >= 3 ? 1.0 : 0.62;
    i += length;
  }
  return ems * size * 1.05;
}

std::string rgb(double r, double g, double b) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", static_cast<int>(r), static_cast<int>(g),
                static_cast<int>(b));
  return text;
}

// [0, 1]: white to deep blue, with a square root to stretch the small probabilities that
// dominate an attention map. [-1, 1]: red through white to blue.
std::string heat_colour(float value, bool signed_values) {
  if (!signed_values) {
    const double t = std::sqrt(std::clamp(static_cast<double>(value), 0.0, 1.0));
    return rgb(247 - t * (247 - 8), 251 - t * (251 - 48), 255 - t * (255 - 107));
  }
  const double t = std::clamp(static_cast<double>(value), -1.0, 1.0);
  if (t >= 0) return rgb(255 - t * (255 - 8), 255 - t * (255 - 48), 255 - t * (255 - 107));
  return rgb(255 + t * (255 - 165), 255 + t * (255 - 15), 255 + t * (255 - 21));
}

// Distinct on white and for the common colour-vision deficiencies (Okabe & Ito's palette,
// plus black and grey): one per model when a figure compares up to eight.
const char* const kCurveColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                     "#e69f00", "#56b4e9", "#000000", "#999999"};
constexpr size_t kColourCount = sizeof kCurveColours / sizeof kCurveColours[0];

class Canvas {
 public:
  void text(double x, double y, double size, const std::string& content,
            const std::string& extra = "") {
    out_ << "<text x=\"" << number(x) << "\" y=\"" << number(y) << "\" font-size=\"" << number(size)
         << "\"" << (extra.empty() ? "" : " " + extra) << '>' << xml_escape(content) << "</text>\n";
  }
  void rotated_text(double x, double y, double angle, double size, const std::string& content) {
    out_ << "<text transform=\"translate(" << number(x) << ',' << number(y) << ") rotate(" << angle
         << ")\" font-size=\"" << number(size) << "\">" << xml_escape(content) << "</text>\n";
  }
  void rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& tooltip = "") {
    out_ << "<rect x=\"" << number(x) << "\" y=\"" << number(y) << "\" width=\"" << number(w)
         << "\" height=\"" << number(h) << "\" fill=\"" << fill << '"';
    if (tooltip.empty()) {
      out_ << "/>\n";
    } else {
      out_ << "><title>" << xml_escape(tooltip) << "</title></rect>\n";
    }
  }
  void line(double x1, double y1, double x2, double y2, const std::string& stroke) {
    out_ << "<line x1=\"" << number(x1) << "\" y1=\"" << number(y1) << "\" x2=\"" << number(x2)
         << "\" y2=\"" << number(y2) << "\" stroke=\"" << stroke << "\"/>\n";
  }
  std::ostringstream& raw() { return out_; }

 private:
  std::ostringstream out_;
};

struct MapLayout {
  double cell, font, width, height;
};

MapLayout layout(const Heatmap& map, size_t longest) {
  // Labelled cells never go below what a 9-pixel label needs (40 tokens: 14 px); maps
  // labelled sparsely (positions) may use small cells; cells that carry a word are wider.
  const double minimum = !map.cell_text.empty() ? 44.0 : map.label_every == 1 ? 14.0 : 3.0;
  const double cell = std::clamp(560.0 / static_cast<double>(longest), minimum,
                                 map.cell_text.empty() ? 32.0 : 64.0);
  const double font = map.label_every == 1 ? std::min(12.0, cell * 0.7) : 10.0;
  return {cell, font, cell * static_cast<double>(map.columns()),
          cell * static_cast<double>(map.rows())};
}

// The colour scale beside a map: a bar from the lowest to the highest value with its ticks.
void draw_colour_scale(Canvas& svg, const Heatmap& map, double left, double top, double height) {
  const double low = map.signed_values ? -1.0 : 0.0, width = 12;
  constexpr int kSteps = 40;
  svg.raw() << "<g shape-rendering=\"crispEdges\">\n";
  for (int k = 0; k < kSteps; ++k) {
    // Evenly spaced colours: unsigned maps colour by the square root of the value.
    const double u = 1.0 - (1.0 - low) * (k + 0.5) / kSteps;
    const double value = map.signed_values ? u : u * u;
    svg.rect(left, top + height * k / kSteps, width, height / kSteps + 0.5,
             heat_colour(static_cast<float>(value), map.signed_values));
  }
  svg.raw() << "</g>\n";
  svg.raw() << "<rect x=\"" << number(left) << "\" y=\"" << number(top) << "\" width=\""
            << number(width) << "\" height=\"" << number(height)
            << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (double value : map.signed_values ? std::vector<double>{1, 0.5, 0, -0.5, -1}
                                        : std::vector<double>{1, 0.5, 0.25, 0.1, 0}) {
    // Unsigned maps stretch small values (square root): the ticks sit where their colour is.
    const double t = map.signed_values ? (1 - value) / 2 : 1 - std::sqrt(value);
    svg.text(left + width + 4, top + height * t + 4, 10, tick(value));
  }
}

void draw_heatmap(Canvas& svg, const Heatmap& map, const MapLayout& box, double left, double top) {
  const size_t rows = map.rows(), columns = map.columns();
  svg.text(left, 76, 14, map.title, "font-weight=\"bold\"");
  // Cells meet edge to edge without anti-aliased hairlines between them.
  svg.raw() << "<g shape-rendering=\"crispEdges\">\n";
  for (size_t i = 0; i < rows; ++i) {
    const double offset = box.cell * static_cast<double>(i) + box.cell / 2;
    if (i % map.label_every == 0) {
      svg.text(left - 4, top + offset + box.font / 3, box.font, map.labels[i],
               "text-anchor=\"end\"");
    }
    for (size_t j = 0; j < columns; ++j) {
      const float value = map.values[i * columns + j];
      std::ostringstream tooltip;
      tooltip << map.labels[i] << " → " << map.column_label(j) << ": " << value;
      const double x = left + box.cell * static_cast<double>(j);
      const double y = top + box.cell * static_cast<double>(i);
      svg.rect(x, y, box.cell, box.cell, heat_colour(value, map.signed_values), tooltip.str());
      if (!map.cell_text.empty()) {
        svg.text(x + box.cell / 2, y + box.cell / 2 + 4, 10, map.cell_text[i * columns + j],
                 "text-anchor=\"middle\"");
      }
    }
  }
  svg.raw() << "</g>\n";
  for (size_t j = 0; j < columns; j += map.label_every) {
    const double offset = box.cell * static_cast<double>(j) + box.cell / 2;
    svg.rotated_text(left + offset + box.font / 3, top - 4, -60, box.font, map.column_label(j));
  }
  svg.raw() << "<rect x=\"" << number(left) << "\" y=\"" << number(top) << "\" width=\""
            << number(box.width) << "\" height=\"" << number(box.height)
            << "\" fill=\"none\" stroke=\"#888\"/>\n";
  draw_colour_scale(svg, map, left + box.width + 8, top, std::max(box.height, 60.0));
}

void draw_bars(Canvas& svg, const BarChart& chart, double top, double width) {
  const double height = 120, left = 110;
  const double bar_width =
      std::max(14.0, std::min(40.0, (width - 140) / std::max<size_t>(chart.bars.size(), 1)));
  double largest = 0;
  for (const auto& bar : chart.bars) largest = std::max(largest, bar.value);
  // Float rounding (~1e-6) must not fill the chart when nothing moved: the scale starts at 0.01.
  const double scale = std::max(largest, 0.01);
  std::ostringstream label;
  label << chart.label << " (largest " << largest << ")";
  svg.text(20, top - 10, 14, label.str(), "font-weight=\"bold\"");
  const double baseline = top + height;
  svg.line(left, baseline, left + bar_width * static_cast<double>(chart.bars.size()), baseline,
           "#444");
  svg.line(left, top, left, baseline, "#444");  // the value axis, with three ticks
  for (double fraction : {0.0, 0.5, 1.0}) {
    const double y = baseline - height * fraction;
    svg.line(left - 4, y, left, y, "#444");
    svg.text(left - 8, y + 4, 11, tick(scale * fraction), "text-anchor=\"end\"");
  }
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& bar = chart.bars[i];
    const double h = height * bar.value / scale, x = left + bar_width * static_cast<double>(i);
    std::ostringstream tooltip;
    tooltip << bar.label << ": " << bar.value;
    svg.rect(x + 2, baseline - h, bar_width - 4, h, kCurveColours[bar.series % kColourCount],
             tooltip.str());
    svg.rotated_text(x + bar_width / 2 + 4, baseline + 8, 60, 11, bar.label);
  }
}

void draw_curves(Canvas& svg, const Figure& figure, double top) {
  const double left = 80, width = 560, height = 200;
  size_t points = 2;
  double low = 0, high = 1;
  for (const auto& curve : figure.curves) {
    points = std::max(points, curve.y.size());
    for (double y : curve.y) low = std::min(low, std::floor(y * 10) / 10);
    for (double y : curve.y) high = std::max(high, std::ceil(y * 10) / 10);
  }
  const auto px = [&](size_t x) { return left + width * static_cast<double>(x) / (points - 1); };
  const auto py = [&](double y) { return top + height * (high - y) / (high - low); };
  svg.text(20, top - 16, 14, figure.curve_label, "font-weight=\"bold\"");
  svg.line(left, top + height, left + width, top + height, "#444");
  svg.line(left, top, left, top + height, "#444");
  for (int step = 0; step <= 4; ++step) {
    const double y = low + (high - low) * step / 4;
    svg.line(left - 4, py(y), left, py(y), "#444");
    svg.text(left - 8, py(y) + 4, 11, tick(y), "text-anchor=\"end\"");
  }
  for (size_t x = 0; x < points; x += std::max<size_t>(1, (points - 1) / 8)) {
    svg.text(px(x), top + height + 16, 11, std::to_string(figure.x_first + static_cast<int64_t>(x)),
             "text-anchor=\"middle\"");
  }
  svg.text(left + width / 2, top + height + 34, 12, figure.x_label, "text-anchor=\"middle\"");
  for (size_t c = 0; c < figure.curves.size(); ++c) {
    const char* colour = kCurveColours[c % kColourCount];
    svg.raw() << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (size_t x = 0; x < figure.curves[c].y.size(); ++x) {
      svg.raw() << number(px(x)) << ',' << number(py(figure.curves[c].y[x])) << ' ';
    }
    svg.raw() << "\"/>\n";
    const double legend_y = top + 14 + 18 * static_cast<double>(c);
    svg.line(left + width + 20, legend_y - 4, left + width + 40, legend_y - 4, colour);
    svg.text(left + width + 46, legend_y, 12, figure.curves[c].name);
  }
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

std::string render_svg(const Figure& figure) {
  size_t longest = 1;
  for (const auto& map : figure.maps) longest = std::max({longest, map.rows(), map.columns()});
  const double label_width = 90, maps_top = 150, gap = 80;  // gap: the colour scale too
  double width = 20, maps_bottom = 60;
  std::vector<MapLayout> boxes;
  for (const auto& map : figure.maps) {
    boxes.push_back(layout(map, longest));
    width += label_width + boxes.back().width + gap;
    maps_bottom = std::max(maps_bottom, maps_top + boxes.back().height);
  }
  // Sections stack downwards: maps, bars (their labels are rotated below the axis), curves.
  // Each bar chart takes 290 pixels: its title, 120 of bars, the rotated labels below.
  const double bars_top = std::max(maps_bottom, maps_top + 60) + 50;
  const double curves_top = bars_top + 290 * static_cast<double>(figure.bar_charts.size());
  const double height = figure.curves.empty() ? curves_top - 10 : curves_top + 300;
  width = std::max(width, figure.curves.empty() ? 400.0 : 800.0);
  // Nothing may run off the right edge: titles, the caption, the curves' legend.
  width = std::max({width, 40 + text_width(figure.title, 18), 40 + text_width(figure.caption, 13)});
  for (const auto& map : figure.maps)
    width = std::max(width, 20 + label_width + text_width(map.title, 14));
  for (const auto& curve : figure.curves)
    width = std::max(width, 706 + text_width(curve.name, 12) + 20);
  for (const auto& chart : figure.bar_charts)
    width = std::max(width, 40 + text_width(chart.label + " (largest 0.000000)", 14));
  width = std::max(width, 40 + text_width(figure.curve_label, 14));

  Canvas svg;
  svg.raw()
      << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(width) << "\" height=\""
      << number(height) << "\" viewBox=\"0 0 " << number(width) << ' ' << number(height)
      << "\" font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei','DejaVu Sans',sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg.text(20, 28, 18, figure.title, "font-weight=\"bold\"");
  svg.text(20, 50, 13, figure.caption, "fill=\"#444\"");
  double left = 20 + label_width;
  for (size_t m = 0; m < figure.maps.size(); ++m) {
    draw_heatmap(svg, figure.maps[m], boxes[m], left, maps_top);
    left += boxes[m].width + label_width + gap;
  }
  for (size_t c = 0; c < figure.bar_charts.size(); ++c)
    draw_bars(svg, figure.bar_charts[c], bars_top + 290 * static_cast<double>(c), width);
  if (!figure.curves.empty()) draw_curves(svg, figure, curves_top + 30);
  svg.raw() << "</svg>\n";
  return svg.raw().str();
}

}  // namespace ordo::cli
