#pragma once
// One self-contained HTML page for a result a person opens and shares: facts, tables, the
// figure as inline SVG (whose cells carry hover details in <title>), and a verdict. No script,
// no external file, no network: it opens the same from a mail attachment.
#include <string>
#include <utility>
#include <vector>

namespace ordo::cli {

struct HtmlTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Per row, the text shown on hover (the row's full details); may be empty.
  std::vector<std::string> row_titles;
};

struct HtmlReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // name, value
  std::vector<HtmlTable> tables;
  std::string conclusion;  // shown highlighted under the tables
  std::string svg;         // a whole SVG document from render_svg; its XML prolog is dropped
  std::string figure_caption;
};

std::string render_html(const HtmlReport& report);

}  // namespace ordo::cli
