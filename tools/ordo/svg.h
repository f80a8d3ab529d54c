#pragma once
// SVG pictures for the CLI: labelled heatmaps (attention maps, position similarity), bars
// (per-token drift) and line charts (similarity against distance), stacked in one figure.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ordo::cli {

struct Heatmap {
  Heatmap(std::string title_, std::vector<std::string> labels_, std::vector<float> values_,
          bool signed_values_ = false)
      : title(std::move(title_)),
        labels(std::move(labels_)),
        values(std::move(values_)),
        signed_values(signed_values_) {}

  std::string title;
  std::vector<std::string> labels;  // one per row (= column); rows are queries for attention
  std::vector<float> values;        // [rows][columns], row-major
  // Labels of the columns when they are not the rows' (a layers x heads grid); the map is
  // then [labels][column_labels].
  std::vector<std::string> column_labels;
  std::vector<std::string> cell_text;  // a short word drawn in each cell, when not empty
  // Attention probabilities are in [0, 1] (white to blue); similarities in [-1, 1] (red,
  // white, blue).
  bool signed_values = false;
  size_t label_every = 1;  // label every k-th row and column (long position axes)
  // The value the darkest colour stands for (set by render_svg from Figure::colour_scale):
  // [0, scale_max] for probabilities, [-scale_max, scale_max] for similarities.
  double scale_max = 1.0;

  size_t rows() const { return labels.size(); }
  size_t columns() const { return column_labels.empty() ? labels.size() : column_labels.size(); }
  const std::string& column_label(size_t j) const {
    return column_labels.empty() ? labels[j] : column_labels[j];
  }
};

struct Bar {
  std::string label;
  double value = 0;
  size_t series = 0;  // colour: the same as curve `series` (one per model in a comparison)
};

// One bar chart: its title and bars, on a value axis from 0 to the largest bar.
struct BarChart {
  BarChart(std::string label_, std::vector<Bar> bars_ = {}, std::vector<std::string> series_ = {})
      : label(std::move(label_)), bars(std::move(bars_)), series(std::move(series_)) {}

  std::string label;
  std::vector<Bar> bars;
  std::vector<std::string> series;  // the legend: a name per Bar::series, when more than one
};

struct Curve {
  std::string name;
  std::vector<double> y;  // y[x] for x = 0, 1, ...
};

// What the heatmaps' darkest colour stands for. `fixed`: the values' natural range (1 for a
// probability or a cosine); `shared`: the largest value in any map of the figure, so that maps
// side by side stay comparable while faint attention still shows its structure; `own`: each
// map's own largest value (most contrast, maps no longer comparable by colour).
enum class ColourScale { fixed, shared, own };

// `--scale NAME` of the commands that draw attention maps (default shared); a usage error
// names the option and the accepted values.
class Args;
ColourScale colour_scale_option(const Args& args);

struct Figure {
  Figure(std::string title_, std::string caption_)
      : title(std::move(title_)), caption(std::move(caption_)) {}

  std::string title, caption;
  std::vector<Heatmap> maps;         // side by side
  std::vector<BarChart> bar_charts;  // under the maps, one below the other
  std::string curve_label, x_label;  // a line chart under the rest, when any curves
  std::vector<Curve> curves;
  int64_t x_first = 0;  // the x of y[0] (signed distances start below zero)
  ColourScale colour_scale = ColourScale::shared;
};

std::string render_svg(const Figure& figure_in);

std::string xml_escape(const std::string& text);

// `text` broken into lines no wider than `max_width` pixels at font `size`: at spaces, or
// between any two wide (CJK) characters; a word longer than a line stays whole.
std::vector<std::string> wrap_text(const std::string& text, double size, double max_width);

}  // namespace ordo::cli
