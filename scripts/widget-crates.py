"""What takes the widget's space, by crate: reads `twiggy top -f csv` of the widget's wasm as cargo built
it (names kept; before wasm-bindgen and wasm-opt, so the bytes are larger than shipped, but the shares
hold) and prints the top crates. scripts/build-widget.sh pipes twiggy into it."""
import collections
import csv
import re
import sys

sizes = collections.Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row["Name"], int(row["ShallowSize"])
    # wasm-bindgen's describe functions and custom sections never reach the shipped wasm.
    if "custom section" in name or "function names" in name or "__wbindgen_describe" in name:
        continue
    if name.startswith("data segment"):
        sizes["(data: strings, tables, the stylesheet)"] += size
        continue
    crate = re.search(r"([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
    sizes[crate.group(1) if crate else "(other)"] += size
total = sum(sizes.values()) or 1
top = int(sys.argv[1]) if len(sys.argv) > 1 else 8
print(f"widget code by crate (twiggy, {total} bytes before wasm-bindgen and wasm-opt):")
for crate, size in sizes.most_common(top):
    print(f"  {size:>8} {100 * size / total:5.1f}%  {crate}")
