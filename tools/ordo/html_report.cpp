#include "html_report.h"

#include <sstream>

#include "svg.h"

namespace ordo::cli {
namespace {

// The SVG element itself: the XML declaration is not allowed inside HTML.
std::string inline_svg(const std::string& svg) {
  const size_t start = svg.find("<svg");
  return start == std::string::npos ? std::string() : svg.substr(start);
}

void write_table(std::ostringstream& out, const HtmlTable& table) {
  out << "<table>\n";
  if (!table.caption.empty()) out << "<caption>" << xml_escape(table.caption) << "</caption>\n";
  out << "<thead><tr>";
  for (const auto& cell : table.header) out << "<th>" << xml_escape(cell) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    out << "<tr";
    if (r < table.row_titles.size() && !table.row_titles[r].empty())
      out << " title=\"" << xml_escape(table.row_titles[r]) << '"';
    out << '>';
    for (const auto& cell : table.rows[r]) out << "<td>" << xml_escape(cell) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody>\n</table>\n";
}

}  // namespace

std::string render_html(const HtmlReport& report) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << xml_escape(report.title) << "</title>\n<style>\n"
      << "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','DejaVu Sans',sans-serif;"
         "margin:2em;color:#222;max-width:80em}\n"
         "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}\n"
         "table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:bold;"
         "margin-bottom:.3em}\n"
         "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
         "th:first-child,td:first-child{text-align:left}\n"
         "tbody tr:hover{background:#eef3fb}\n"
         ".conclusion{border-left:4px solid #0072b2;padding:.4em .8em;background:#f4f8fc}\n"
         "figure{margin:1em 0;overflow-x:auto}figcaption{color:#555}\n"
      << "</style>\n</head>\n<body>\n<h1>" << xml_escape(report.title) << "</h1>\n<dl>\n";
  for (const auto& [name, value] : report.facts)
    out << "<dt>" << xml_escape(name) << "</dt><dd>" << xml_escape(value) << "</dd>\n";
  out << "</dl>\n";
  for (const HtmlTable& table : report.tables) write_table(out, table);
  if (!report.conclusion.empty())
    out << "<p class=\"conclusion\">" << xml_escape(report.conclusion) << "</p>\n";
  if (!report.svg.empty()) {
    out << "<figure>\n" << inline_svg(report.svg);
    if (!report.figure_caption.empty())
      out << "<figcaption>" << xml_escape(report.figure_caption) << "</figcaption>\n";
    out << "</figure>\n";
  }
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace ordo::cli
