// Runs inside headless Chromium on a page holding one or more of ordo's SVG drawings. For
// every <text>: its box from the browser's own glyph metrics (the advance widths of the
// font it really used; vertically the em box around the baseline, which is what a reader
// sees as the label), mapped through its transforms (rotated labels stay rotated). Reports
// every label that leaves its drawing and every two labels that overlap. The result is
// written into the page as JSON for `chromium --dump-dom` to hand back.
'use strict';

function labelCorners(text) {
  const box = text.getBBox();
  const size = parseFloat(getComputedStyle(text).fontSize);
  const baseline = text.y.baseVal.numberOfItems ? text.y.baseVal.getItem(0).value : 0;
  const top = baseline - 0.8 * size, bottom = baseline + 0.2 * size;
  const matrix = text.getCTM();
  return [[box.x, top], [box.x + box.width, top], [box.x + box.width, bottom], [box.x, bottom]]
      .map(([x, y]) => new DOMPoint(x, y).matrixTransform(matrix))
      .map(p => [p.x, p.y]);
}

// Separating-axis test for two convex quadrilaterals: how deep they overlap (0 when apart).
function overlapDepth(a, b) {
  let depth = Infinity;
  for (const poly of [a, b]) {
    for (let i = 0; i < 4; ++i) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const length = Math.hypot(x2 - x1, y2 - y1);
      if (length === 0) continue;
      const axis = [(y1 - y2) / length, (x2 - x1) / length];
      const project = p => p.map(([x, y]) => x * axis[0] + y * axis[1]);
      const pa = project(a), pb = project(b);
      const gap = Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb));
      if (gap <= 0) return 0;
      depth = Math.min(depth, gap);
    }
  }
  return depth;
}

function measure(svg, picture, index) {
  const view = svg.viewBox.baseVal;
  const width = view && view.width ? view.width : svg.width.baseVal.value;
  const height = view && view.height ? view.height : svg.height.baseVal.value;
  const labels = [...svg.querySelectorAll('text')]
      .filter(text => text.textContent.trim() !== '')
      .map(text => ({text: text.textContent, corners: labelCorners(text)}));
  const outside = [], overlaps = [];
  const slack = 0.5;  // a half pixel of rounding
  for (const label of labels) {
    const xs = label.corners.map(p => p[0]), ys = label.corners.map(p => p[1]);
    if (Math.min(...xs) < -slack || Math.min(...ys) < -slack || Math.max(...xs) > width + slack ||
        Math.max(...ys) > height + slack) {
      outside.push({text: label.text, left: Math.min(...xs), top: Math.min(...ys),
                    right: Math.max(...xs), bottom: Math.max(...ys)});
    }
  }
  for (let i = 0; i < labels.length; ++i) {
    for (let j = i + 1; j < labels.length; ++j) {
      const depth = overlapDepth(labels[i].corners, labels[j].corners);
      if (depth > 1) overlaps.push({a: labels[i].text, b: labels[j].text, depth});
    }
  }
  return {picture, drawing: index, width, height, labels: labels.length, outside, overlaps};
}

window.addEventListener('load', async () => {
  await document.fonts.ready;
  // A page may hold several pictures, each in an element with data-picture="NAME"; a
  // drawing's number counts within its picture.
  const counts = new Map();
  const drawings = [...document.querySelectorAll('svg')].map(svg => {
    const holder = svg.closest('[data-picture]');
    const picture = holder ? holder.dataset.picture : '';
    counts.set(picture, (counts.get(picture) || 0) + 1);
    return measure(svg, picture, counts.get(picture) - 1);
  });
  const result = document.createElement('pre');
  result.id = 'ordo-labels';
  result.textContent = JSON.stringify({
    drawings,
    page_width: document.documentElement.scrollWidth,
    view_width: window.innerWidth,
  });
  document.body.appendChild(result);
});
