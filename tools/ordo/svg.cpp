#include "svg.h"

#include "args.h"
#include "base64.h"
#include "png.h"
#include "utf8.h"

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
    const size_t length = tokenizer::utf8_sequence_length(static_cast<unsigned char>(text[i]));
    ems += length >= 3 ? 1.0 : 0.62;
    i += length;
  }
  return ems * size * 1.05;
}

// `text` cut to fit `max_width` at `size`, with an ellipsis when anything was cut.
std::string shortened(const std::string& text, double size, double max_width) {
  if (text_width(text, size) <= max_width) return text;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t length = tokenizer::utf8_sequence_length(static_cast<unsigned char>(text[i]));
    if (text_width(out + text.substr(i, length) + "…", size) > max_width) break;
    out += text.substr(i, length);
    i += length;
  }
  return out + "…";
}

// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at least
// `value`: the top of a colour scale, so that its ticks are round numbers.
double round_up(double value) {
  if (!(value > 0) || !std::isfinite(value)) return 1.0;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (step * power >= value * (1 - 1e-9)) return step * power;
  }
  return 10 * power;
}

double largest_magnitude(const Heatmap& map) {
  double largest = 0;
  for (float value : map.values) {
    if (std::isfinite(value)) largest = std::max(largest, std::fabs(static_cast<double>(value)));
  }
  return largest;
}

std::string rgb(double r, double g, double b) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", static_cast<int>(r), static_cast<int>(g),
                static_cast<int>(b));
  return text;
}

struct Colour {
  double r, g, b;
};

// [0, 1]: white to deep blue, with a square root to stretch the small probabilities that
// dominate an attention map. [-1, 1]: red through white to blue.
Colour heat_rgb(double value, bool signed_values) {
  if (!signed_values) {
    const double t = std::sqrt(std::clamp(value, 0.0, 1.0));
    return {247 - t * (247 - 8), 251 - t * (251 - 48), 255 - t * (255 - 107)};
  }
  const double t = std::clamp(value, -1.0, 1.0);
  if (t >= 0) return {255 - t * (255 - 8), 255 - t * (255 - 48), 255 - t * (255 - 107)};
  return {255 + t * (255 - 165), 255 + t * (255 - 15), 255 + t * (255 - 21)};
}

std::string heat_colour(double value, bool signed_values) {
  const Colour c = heat_rgb(value, signed_values);
  return rgb(c.r, c.g, c.b);
}

// Maps of more cells than this are drawn as one image, a pixel a cell (png.h says why); smaller
// ones as a rectangle per cell with its value as a hover title.
constexpr size_t kMostVectorCells = size_t{64} * 64;

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
             heat_colour(value, map.signed_values));
  }
  svg.raw() << "</g>\n";
  svg.raw() << "<rect x=\"" << number(left) << "\" y=\"" << number(top) << "\" width=\""
            << number(width) << "\" height=\"" << number(height)
            << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (double value : map.signed_values ? std::vector<double>{1, 0.5, 0, -0.5, -1}
                                        : std::vector<double>{1, 0.5, 0.25, 0.1, 0}) {
    // Unsigned maps stretch small values (square root): the ticks sit where their colour is.
    const double t = map.signed_values ? (1 - value) / 2 : 1 - std::sqrt(value);
    svg.text(left + width + 4, top + height * t + 4, 10, tick(value * map.scale_max));
  }
}

void draw_heatmap(Canvas& svg, const Heatmap& map, const MapLayout& box, double left, double top,
                  double title_width) {
  const size_t rows = map.rows(), columns = map.columns();
  svg.text(left, top - 74, 14, shortened(map.title, 14, title_width), "font-weight=\"bold\"");
  const bool image = rows * columns > kMostVectorCells && map.cell_text.empty();
  if (image) {
    std::vector<unsigned char> pixels;
    pixels.reserve(rows * columns * 3);
    for (const float value : map.values) {
      const Colour c = heat_rgb(value / map.scale_max, map.signed_values);
      for (const double channel : {c.r, c.g, c.b})
        pixels.push_back(static_cast<unsigned char>(channel));
    }
    // Scaled up without smoothing, so each cell stays a square of one colour.
    svg.raw() << "<image x=\"" << number(left) << "\" y=\"" << number(top) << "\" width=\""
              << number(box.width) << "\" height=\"" << number(box.height)
              << "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
              << "href=\"data:image/png;base64,"
              << base64(png_rgb(static_cast<int64_t>(columns), static_cast<int64_t>(rows), pixels))
              << "\"/>\n";
  }
  // Cells meet edge to edge without anti-aliased hairlines between them.
  svg.raw() << "<g shape-rendering=\"crispEdges\">\n";
  for (size_t i = 0; i < rows; ++i) {
    const double offset = box.cell * static_cast<double>(i) + box.cell / 2;
    if (i % map.label_every == 0) {
      svg.text(left - 4, top + offset + box.font / 3, box.font, map.labels[i],
               "text-anchor=\"end\"");
    }
    for (size_t j = 0; j < columns && !image; ++j) {
      const float value = map.values[i * columns + j];
      std::ostringstream tooltip;
      tooltip << map.labels[i] << " → " << map.column_label(j) << ": " << value;
      const double x = left + box.cell * static_cast<double>(j);
      const double y = top + box.cell * static_cast<double>(i);
      svg.rect(x, y, box.cell, box.cell, heat_colour(value / map.scale_max, map.signed_values),
               tooltip.str());
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

// The width of a bar chart's legend, right of its bars: 0 with a single series.
double legend_width(const BarChart& chart) {
  if (chart.series.size() < 2) return 0;
  double widest = 0;
  for (const auto& name : chart.series) widest = std::max(widest, text_width(name, 12));
  return 30 + 18 + widest + 10;
}

void draw_bars(Canvas& svg, const BarChart& chart, double top, double width) {
  const double height = 120, left = 110;
  const double bar_width = std::max(
      14.0, std::min(40.0, (width - 140 - legend_width(chart)) /
                               static_cast<double>(std::max<size_t>(chart.bars.size(), 1))));
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
  if (chart.series.size() < 2) return;
  const double legend_left = left + bar_width * static_cast<double>(chart.bars.size()) + 30;
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const double y = top + 18 * static_cast<double>(k);
    svg.rect(legend_left, y, 12, 12, kCurveColours[k % kColourCount]);
    svg.text(legend_left + 18, y + 11, 12, chart.series[k]);
  }
}

// The height a bar chart takes: its title, 120 pixels of bars and the labels rotated 60 degrees
// below them, at least 290 pixels, more when a long label reaches further down.
double bar_chart_height(const BarChart& chart) {
  double longest = 0;
  for (const auto& bar : chart.bars) longest = std::max(longest, text_width(bar.label, 11));
  constexpr double kSin60 = 0.8660254037844386;  // the labels' drop per pixel of length
  return std::max(290.0, 120 + 8 + longest * kSin60 + 60);
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

ColourScale colour_scale_option(const Args& args) {
  const std::string name = args.value("--scale").value_or("shared");
  if (name == "fixed") return ColourScale::fixed;
  if (name == "shared") return ColourScale::shared;
  if (name == "own") return ColourScale::own;
  throw UsageError("--scale: expected shared, own or fixed, got '" + name + "'");
}

std::vector<std::string> wrap_text(const std::string& text, double size, double max_width) {
  // Break opportunities: after a space (the space is dropped at the break) and on either side
  // of a wide character.
  std::vector<std::string> pieces;
  bool in_word = false;  // the last piece is a narrow word that this character may continue
  for (size_t i = 0; i < text.size();) {
    const size_t length = tokenizer::utf8_sequence_length(static_cast<unsigned char>(text[i]));
    const std::string character = text.substr(i, length);
    const bool narrow_letter = length < 3 && character != " ";
    if (in_word && narrow_letter) {
      pieces.back() += character;
    } else {
      pieces.push_back(character);
    }
    in_word = narrow_letter;
    i += length;
  }
  std::vector<std::string> lines(1);
  for (const auto& piece : pieces) {
    if (piece == " ") {
      if (!lines.back().empty()) lines.back() += ' ';
      continue;
    }
    if (!lines.back().empty() && text_width(lines.back() + piece, size) > max_width) {
      while (!lines.back().empty() && lines.back().back() == ' ') lines.back().pop_back();
      lines.emplace_back();
    }
    lines.back() += piece;
  }
  while (!lines.back().empty() && lines.back().back() == ' ') lines.back().pop_back();
  return lines;
}

std::string render_svg(const Figure& figure_in) {
  Figure figure = figure_in;
  double shared_max = 0;
  for (const auto& map : figure.maps) shared_max = std::max(shared_max, largest_magnitude(map));
  for (auto& map : figure.maps) {
    switch (figure.colour_scale) {
      case ColourScale::fixed:
        map.scale_max = 1.0;
        break;
      case ColourScale::shared:
        map.scale_max = round_up(shared_max);
        break;
      case ColourScale::own:
        map.scale_max = round_up(largest_magnitude(map));
        break;
    }
  }
  size_t longest = 1;
  for (const auto& map : figure.maps) longest = std::max({longest, map.rows(), map.columns()});
  const double label_width = 90, gap = 80;  // gap: the colour scale too
  double width = 20;
  std::vector<MapLayout> boxes;
  for (const auto& map : figure.maps) {
    boxes.push_back(layout(map, longest));
    width += label_width + boxes.back().width + gap;
  }
  width = std::max(width, figure.curves.empty() ? 400.0 : 800.0);
  // Nothing may run off the right edge. A lone map's title, the curves' legend and the bar
  // charts' titles widen the drawing; the figure's title and caption widen it up to 760
  // pixels and wrap beyond; titles of maps side by side are shortened to their column.
  if (figure.maps.size() == 1)
    width = std::max(width, 20 + label_width + text_width(figure.maps[0].title, 14));
  for (const auto& curve : figure.curves)
    width = std::max(width, 706 + text_width(curve.name, 12) + 20);
  for (const auto& chart : figure.bar_charts) {
    width = std::max(width, 40 + text_width(chart.label + " (largest 0.000000)", 14));
    // Bars no narrower than 14 pixels, and the legend beside them.
    width =
        std::max(width, 140 + 14 * static_cast<double>(chart.bars.size()) + legend_width(chart));
  }
  width = std::max(width, 40 + text_width(figure.curve_label, 14));
  width = std::max({width, std::min(760.0, 40 + text_width(figure.title, 18)),
                    std::min(760.0, 40 + text_width(figure.caption, 13))});
  const auto title_lines = wrap_text(figure.title, 18, width - 40);
  const auto caption_lines = wrap_text(figure.caption, 13, width - 40);
  const double caption_top = 28 + 24 * static_cast<double>(title_lines.size() - 1) + 22;
  const double header = caption_top + 18 * static_cast<double>(caption_lines.size() - 1);
  const double shift = header - 50;  // below a one-line title and caption nothing moves

  const double maps_top = 150 + shift;
  double maps_bottom = 60 + shift;
  for (const auto& box : boxes) maps_bottom = std::max(maps_bottom, maps_top + box.height);
  // Sections stack downwards: maps, bars (their labels are rotated below the axis), curves.
  // Each bar chart takes bar_chart_height(): its title, 120 of bars, the rotated labels below.
  // Without maps the bars start under the caption, with room for their title.
  const double bars_top =
      figure.maps.empty() ? header + 50 : std::max(maps_bottom, maps_top + 60) + 50;
  std::vector<double> chart_tops;
  double curves_top = bars_top;
  for (const auto& chart : figure.bar_charts) {
    chart_tops.push_back(curves_top);
    curves_top += bar_chart_height(chart);
  }
  const double height = figure.curves.empty() ? curves_top - 10 : curves_top + 300;

  Canvas svg;
  svg.raw()
      << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(width) << "\" height=\""
      << number(height) << "\" viewBox=\"0 0 " << number(width) << ' ' << number(height)
      << "\" font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei','DejaVu Sans',sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t line = 0; line < title_lines.size(); ++line)
    svg.text(20, 28 + 24 * static_cast<double>(line), 18, title_lines[line],
             "font-weight=\"bold\"");
  for (size_t line = 0; line < caption_lines.size(); ++line)
    svg.text(20, caption_top + 18 * static_cast<double>(line), 13, caption_lines[line],
             "fill=\"#444\"");
  double left = 20 + label_width;
  for (size_t m = 0; m < figure.maps.size(); ++m) {
    const double title_width =
        figure.maps.size() == 1 ? width - left - 10 : boxes[m].width + gap - 10;
    draw_heatmap(svg, figure.maps[m], boxes[m], left, maps_top, title_width);
    left += boxes[m].width + label_width + gap;
  }
  for (size_t c = 0; c < figure.bar_charts.size(); ++c)
    draw_bars(svg, figure.bar_charts[c], chart_tops[c], width);
  if (!figure.curves.empty()) draw_curves(svg, figure, curves_top + 30);
  svg.raw() << "</svg>\n";
  return svg.raw().str();
}

}  // namespace ordo::cli
