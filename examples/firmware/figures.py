#!/usr/bin/env python3
"""Builds one firmware image per model and target, runs each under QEMU, and writes the
footprint / instruction-count table into the README between the firmware-figures markers.

    python3 figures.py           # rebuild the table in ../../README.md
    python3 figures.py --check   # fail if the README's table is not what the build gives

Figures are deterministic: QEMU runs with -icount shift=0, and the instruction counts come
from SysTick ticks over the timed loop (40 instructions each, divided by the steps) and from
the insncount TCG plugin (tools/insncount.c), which counts every instruction from the entry
of the out-of-line step function `step_<model>` to its return, callees included, per call.
They are instruction counts, not cycles.
"""
import fcntl
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
README = HERE.parent.parent / "README.md"
START, END = "<!-- firmware-figures:start -->", "<!-- firmware-figures:end -->"

TARGETS = [
    # (target, core, QEMU machine, QEMU cpu)
    ("thumbv7em-none-eabihf", "Cortex-M4F", "mps2-an386", "cortex-m4"),
    ("thumbv6m-none-eabi", "Cortex-M0 (soft float, run on the M3 board)", "mps2-an385", "cortex-m3"),
]
MODELS = [
    # (feature, description, MACs per step: gates·H·(I+H) + H·O, packed weight bytes)
    ("gru8", "GRU-8 + Dense (amp-json gru8_ts9)", 3 * 8 * (1 + 8) + 8, "1280"),
    ("lstm8", "LSTM-8 + Dense (amp-json lstm8_ts9)", 4 * 8 * (1 + 8) + 8, "1536"),
    ("lstm32", "LSTM-32 + Dense (pytorch lstm_i1_h32_fc1)", 4 * 32 * (1 + 32) + 32, "17728"),
]
# Sample rates and clocks for the real-time estimate.
PARTS = [("Cortex-M7 @ 480 MHz", 480e6), ("Cortex-M4F @ 168 MHz", 168e6)]


def run(cmd, cwd=HERE, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd, **kw)


def plugin():
    so = HERE / "target" / "libinsncount.so"
    src = HERE / "tools" / "insncount.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        so.parent.mkdir(exist_ok=True)
        run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(so), str(src)])
    return so


# Where the images for the figures are built. Code layout depends on the checkout's path
# (path dependencies' package ids feed the symbol hashes, panic locations embed file names), so
# the figures are built from a copy of the sources at one fixed place: the same tree gives the
# same table wherever it is checked out.
STAGE = pathlib.Path(tempfile.gettempdir()) / "tinyrnn-figures" / "work"


def stage():
    """Mirrors the repository's files (tracked and untracked, not ignored) into STAGE/main;
    only files whose content differs are written (so cargo rebuilds what changed); ../shared
    is linked."""
    root = HERE.parent.parent
    files = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root).stdout.split("\0")
    files = {f for f in files if f and (root / f).is_file()}
    dest = STAGE / "main"
    for old in [p for p in dest.rglob("*") if p.is_file() and "target" not in p.relative_to(dest).parts]:
        if str(old.relative_to(dest)) not in files:
            old.unlink()
    for f in sorted(files):
        src, dst = root / f, dest / f
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            shutil.copymode(src, dst)
    shared = STAGE / "shared"
    if not shared.is_symlink() or shared.resolve() != (root.parent / "shared").resolve():
        if shared.is_symlink():
            shared.unlink()
        shared.symlink_to((root.parent / "shared").resolve())
    return dest / "examples" / "firmware"


def build_env():
    """Maps the cargo home to a fixed name, so panic locations in dependencies do not depend
    on where cargo keeps its registry."""
    cargo_home = os.environ.get("CARGO_HOME") or str(pathlib.Path.home() / ".cargo")
    env = dict(os.environ)
    env.pop("RUSTFLAGS", None)
    env["CARGO_ENCODED_RUSTFLAGS"] = f"--remap-path-prefix={cargo_home}=/cargo"
    return env


def measure(firmware, target, machine, cpu, feature):
    run(
        ["cargo", "build", "--release", "--quiet", "--target", target, "--no-default-features", "--features", feature],
        env=build_env(),
        cwd=firmware,
    )
    elf = firmware / "target" / target / "release" / "tinyrnn-firmware"
    sections = {}
    for line in run(["arm-none-eabi-size", "-A", str(elf)]).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    flash = sum(sections.get(s, 0) for s in (".vector_table", ".text", ".rodata", ".data"))
    static_ram = sum(sections.get(s, 0) for s in (".data", ".bss", ".uninit"))
    # The step wrapper's entry and the return address after its call in the timed loop, for
    # the plugin (Thumb symbols have bit 0 set), and the embedded reference data (test
    # harness, not model: left out of the flash figure).
    on = off = None
    reference = 0
    for line in run(["arm-none-eabi-nm", "-S", "--demangle", str(elf)]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == f"step_{feature}":
            on = int(parts[0], 16) & ~1
        if len(parts) == 4 and re.search(r"_ref::(INPUT|EXPECTED)$", parts[3]):
            reference += int(parts[1], 16)
    bench = run(["arm-none-eabi-objdump", "-d", f"--disassemble=bench_{feature}", str(elf)]).stdout.splitlines()
    for i, line in enumerate(bench):
        if re.search(rf"\bbl\s+[0-9a-f]+ <step_{feature}>", line):
            off = int(bench[i + 1].split(":")[0], 16)
    flash -= reference
    if on is None or off is None:
        sys.exit(f"step_{feature} or its call in bench_{feature} not found in {elf}")
    qemu = [
        "timeout", "300", "qemu-system-arm", "-cpu", cpu, "-machine", machine, "-nographic",
        "-semihosting-config", "enable=on,target=native", "-icount", "shift=0",
        "-plugin", f"{plugin()},on={on:#x},off={off:#x}", "-d", "plugin", "-kernel", str(elf),
    ]
    out = subprocess.run(qemu, capture_output=True, text=True, cwd=HERE)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        sys.exit(f"{feature} on {target} failed:\n{text}")
    line = re.search(rf"model={feature} (.*)", text).group(1)
    fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    per_call = float(re.search(r"insns_per_call: ([0-9.]+)", text).group(1))
    return {
        "flash": flash,
        "static_ram": static_ram,
        "state": int(fields["ram_state_bytes"]),
        "stack": int(fields["stack_bytes"]),
        "insns": int(fields["insns_per_step"]),
        "per_call": per_call,
        "err": float(fields["max_abs_err"]),
    }


def table():
    rows = []
    rows.append("| core | model | flash: image (weights) | network RAM | stack per step | instructions / step (SysTick) | per step call (plugin) | per MAC | max abs error |")
    rows.append("|---|---|---|---|---|---|---|---|---|")
    estimates = []
    firmware = stage()
    for target, core, machine, cpu in TARGETS:
        for feature, desc, macs, weights in MODELS:
            m = measure(firmware, target, machine, cpu, feature)
            rows.append(
                f"| {core} | {desc} | {m['flash']} B ({weights} B) | {m['state']} B | {m['stack']} B | "
                f"{m['insns']} | {m['per_call']:.0f} | {m['insns'] / macs:.2f} | {m['err']:.1e} |"
            )
            if target.startswith("thumbv7em"):
                for part, hz in PARTS:
                    # One instruction per cycle is optimistic for loads and FP; a rough guide.
                    load = m["insns"] * 48_000 / hz
                    estimates.append(f"| {part} | {desc} | {100 * load:.1f} % | {int(1 / load) if load > 0 else 0} |")
    out = [START, "", *rows, "", "Estimated load at 48 kHz (instructions ÷ clock, assuming one instruction per cycle: an estimate, not a measurement):", "", "| part | model | CPU at 48 kHz | instances that fit |", "|---|---|---|---|", *estimates, "", END]
    return "\n".join(out)


def main():
    check = "--check" in sys.argv
    # One run at a time uses the staging copy (two checkouts on one machine would clobber it).
    STAGE.mkdir(parents=True, exist_ok=True)
    lock = open(STAGE.parent / "lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    new = table()
    readme = README.read_text()
    if START not in readme or END not in readme:
        sys.exit(f"{README}: missing {START} / {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = head + new + tail
    if check:
        if updated != readme:
            sys.exit("README firmware figures are stale: run python3 examples/firmware/figures.py")
        print("README firmware figures are current")
    else:
        README.write_text(updated)
        print(new)


if __name__ == "__main__":
    main()
