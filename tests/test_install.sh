#!/usr/bin/env bash
# What README's "Use from C++" promises, end to end: install a build tree into a fresh prefix,
# move the prefix (so nothing can come from the build or source tree by an absolute path), then
#   - build tools/examples as an external CMake project with find_package(ordo) and run it, and
#     check that README shows that example and its output as they are;
#   - build the same example with nothing but the flags `pkg-config ordo` gives, and run it;
#   - run the installed `ordo` CLI with its default model, which must come from the prefix,
#     and check the example's cosine against it;
#   - check what is installed (public headers only) and, for a shared libordo, what it exports.
# usage: test_install.sh BUILD_DIR EXAMPLE_SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
example=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }
# Prints the code block (```LANG) after the line "This is all of `tools/examples/NAME`" in DOC:
# what a page shows of an example, to compare with the file itself.
shown_example() {  # DOC NAME LANG
  awk -v title="This is all of \`tools/examples/$2\`" -v fence="\`\`\`$3" '
    index($0, title) == 1 { found = 1; next }
    found && $0 == fence { inside = 1; next }
    inside && $0 == "```" { exit }
    inside { print }' "$1"
}

cmake --install "$build" --prefix "$work/staging" >/dev/null
mv "$work/staging" "$work/prefix"
prefix="$work/prefix"
libdir=$(dirname "$(find "$prefix" -name 'libordo.*' -print -quit)")
[[ -d "$libdir" ]] || fail "no libordo installed"

echo "== installed files"
for file in include/ordo/model.h include/ordo/result.h include/ordo/error.h include/ordo/export.h \
            include/ordo/version.h include/ordo/types.h bin/ordo share/ordo/models/ordo-sinusoidal/model.safetensors \
            share/ordo/models/ordo-learned/tokenizer.model share/ordo/models/heldout.txt; do
  [[ -e "$prefix/$file" ]] || fail "$file is not installed"
done
headers=$(cd "$prefix/include/ordo" && ls)
[[ "$headers" == $'error.h\nexport.h\nmodel.h\nresult.h\ntypes.h\nversion.h' ]] ||
  fail "include/ordo holds more or less than the public headers: $headers"
# The public headers stand alone: no internal, oneDNN, SentencePiece or JSON header.
if grep -hE '#include' "$prefix"/include/ordo/*.h | grep -vE '<[a-z_]+>|"ordo/(error|export|result|types|version)\.h"'; then
  fail "a public header includes something beyond the standard library and ordo/"
fi

if [[ -e "$libdir/libordo.so" ]]; then
  echo "== exported symbols of the shared libordo"
  symbols=$(nm -DC --defined-only "$libdir/libordo.so")
  grep -q 'ordo::Model::load' <<<"$symbols" || fail "ordo::Model::load is not exported"
  grep -q 'typeinfo for ordo::Error' <<<"$symbols" || fail "ordo::Error's type_info is not exported"
  leaked=$(grep -vE ' ordo::| (typeinfo|typeinfo name|vtable) for ordo::' <<<"$symbols" || true)
  [[ -z "$leaked" ]] || fail "libordo.so exports more than the ordo:: API:"$'\n'"$leaked"
  echo "$(wc -l <<<"$symbols") symbols, all ordo::"
fi

echo "== example as an external CMake project (find_package(ordo CONFIG))"
cmake -S "$example" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "the example does not configure"; }
cmake --build "$work/example" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "the example does not build"; }
output=$("$work/example/compare_sentences")
echo "$output"
cosine=$(sed -n 's/^cosine \(.*\)$/\1/p' <<<"$output")
awk -v c="$cosine" 'BEGIN { exit !(c != "" && c >= -1 && c <= 1) }' ||
  fail "the example printed no cosine in [-1, 1]"
# A library error reaches the application as ordo::Error, across the shared-library boundary.
if ORDO_MODEL="$work/no-such-model" "$work/example/compare_sentences" 2>"$work/error.txt"; then
  fail "the example succeeded without a model"
fi
grep -q "compare_sentences: $work/no-such-model: model directory not found" "$work/error.txt" ||
  fail "unexpected error message: $(cat "$work/error.txt")"

echo "== the search example: embed, top_k, fill_mask, info"
search_output=$("$work/example/search")
echo "$search_output"
grep -q "fill-mask:" <<<"$search_output" || fail "the search example printed no fill-mask line"
shown_example "$example/../../docs/api.md" search.cpp cpp >"$work/api-search.cpp"
diff -u "$example/search.cpp" "$work/api-search.cpp" >&2 ||
  fail "docs/api.md shows another search.cpp than tools/examples has"

echo "== README's \"Use from C++\" shows this example and its output"
readme="$example/../../README.md"
# The cpp block after "This is all of ...", and the lines after the command that runs it.
shown_example "$readme" compare_sentences.cpp cpp >"$work/readme.cpp"
diff -u "$example/compare_sentences.cpp" "$work/readme.cpp" >&2 ||
  fail "README shows another compare_sentences.cpp than tools/examples has"
awk '/build-example\/compare_sentences$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$readme" >"$work/readme-output.txt"
diff -u "$work/readme-output.txt" <(echo "$output") >&2 ||
  fail "README shows another output of compare_sentences"

echo "== the installed CLI finds its bundled model in the prefix"
json=$(env -u ORDO_MODELS_DIR "$prefix/bin/ordo" pair --json \
  "The cat chases the mouse." "The mouse chases the cat.")
# Top-level fields of the pretty-printed document are indented by two spaces.
model=$(sed -n 's/^  "model": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
[[ "$(realpath "$model")" == "$prefix/share/ordo/models/ordo-sinusoidal" ]] ||
  fail "the installed CLI used the model at '$model', not the prefix's"
cli_cosine=$(sed -n 's/^  "cosine": \([-0-9.e]*\),\{0,1\}$/\1/p' <<<"$json")
echo "ordo pair: model $model, cosine $cli_cosine"
# The same sentences, mean pooling: ordo::Model and the CLI's engine path agree.
awk -v a="$cosine" -v b="$cli_cosine" 'BEGIN { d = a - b; exit !(b != "" && d < 1e-5 && d > -1e-5) }' ||
  fail "the example's cosine $cosine differs from ordo pair's $cli_cosine"

echo "== the example built with pkg-config alone"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --exact-version="$(sed -n 's/#define ORDO_VERSION_STRING "\(.*\)"/\1/p' \
  "$prefix/include/ordo/version.h")" ordo || fail "pkg-config does not find ordo at its version"
static=()
[[ -e "$libdir/libordo.so" ]] || static=(--static)
flags=$(pkg-config "${static[@]}" --cflags --libs ordo)
echo "pkg-config ${static[*]} --cflags --libs ordo: $flags"
models=$(pkg-config --variable=modelsdir ordo)
# The flags alone, as docs/api.md has it: a shared libordo is found at run time through the
# rpath the .pc file carries, with no LD_LIBRARY_PATH.
# shellcheck disable=SC2086  # the flags are words
env -u LD_LIBRARY_PATH c++ -std=c++17 "$example/compare_sentences.cpp" -o "$work/compare_pc" $flags \
  "-DORDO_MODEL_DIR=\"$models/ordo-sinusoidal\""
pc_output=$(env -u LD_LIBRARY_PATH "$work/compare_pc")
[[ "$pc_output" == "$output" ]] || fail "the pkg-config build printed: $pc_output"
if [[ -n "${ORDO_PYTHON:-}" ]]; then
  echo "== the Python module from the prefix"
  # A moved prefix: the module finds libordo through its relative rpath, numpy comes from
  # Debian, and the vector equals the C++ example's (same model, text and pooling).
  py_cosine=$(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$prefix/lib/python3/dist-packages" \
    "$ORDO_PYTHON" -c "
import ordo
m = ordo.Model('$prefix/share/ordo/models/ordo-sinusoidal')
v = m.encode(['The cat chases the mouse.', 'The mouse chases the cat.'], normalize_embeddings=True)
print(ordo.__file__.startswith('$prefix'), float(v[0] @ v[1]))")
  echo "python: $py_cosine"
  [[ "$py_cosine" == True\ * ]] || fail "python imported ordo from elsewhere: $py_cosine"
  awk -v a="${py_cosine#True }" -v b="$cli_cosine" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }' ||
    fail "the Python module's cosine ${py_cosine#True } differs from ordo pair's $cli_cosine"
  shown_example "$example/../../docs/api.md" quickstart.py python >"$work/api-quickstart.py"
  diff -u "$example/quickstart.py" "$work/api-quickstart.py" >&2 ||
    fail "docs/api.md shows another quickstart.py than tools/examples has"
  quickstart=$(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$prefix/lib/python3/dist-packages" \
    ORDO_MODELS="$prefix/share/ordo/models" "$ORDO_PYTHON" "$example/quickstart.py")
  echo "$quickstart"
  grep -q "^B is a permutation of A, yet shared tokens moved" <<<"$quickstart" ||
    fail "quickstart.py printed no word-order verdict"
  grep -q "^attentions (4, 4, 6, 6)$" <<<"$quickstart" || fail "quickstart.py: attention shape"
fi
echo "all install checks passed"
