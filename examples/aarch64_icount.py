#!/usr/bin/env python3
"""Instructions per step of the AArch64 tiers (NEON and scalar), counted under qemu-aarch64.

    python3 examples/aarch64_icount.py

Builds `examples/step_count.rs` for aarch64-unknown-linux-gnu and the instruction-counting
TCG plugin (examples/firmware/tools/insncount.c), then runs each model on each tier twice
under qemu-aarch64, with 1000 and 2000 steps: the difference of the two totals over 1000 is
the instructions per step, start-up and set-up cancelled (plus the driver loop's few).
Instruction counts, not time: qemu does not time a real core. Needs what .ci/run installs
for its AArch64 step (qemu-user, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) and gcc.
"""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = "aarch64-unknown-linux-gnu"
STEPS = (1000, 2000)
MODELS = [(cell, h) for cell in ("lstm", "gru") for h in (8, 16, 32, 64, 128)]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def plugin():
    so = ROOT / "target" / "libinsncount.so"
    run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(so), str(ROOT / "examples/firmware/tools/insncount.c")])
    return so


def count(exe, so, cell, h, tier, steps):
    qemu = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "-plugin", str(so), "-d", "plugin"]
    out = run(qemu + [str(exe), cell, str(h), tier, str(steps)])
    return int(re.search(r"insns: (\d+)", out.stdout + out.stderr).group(1))


def main():
    run(["cargo", "build", "--release", "--example", "step_count", "--target", TARGET], cwd=ROOT)
    exe = ROOT / "target" / TARGET / "release" / "examples" / "step_count"
    so = plugin()
    print("| model | MACs | scalar | NEON | NEON instr. per MAC | NEON / scalar |")
    print("|---|---|---|---|---|---|")
    for cell, h in MODELS:
        # As the README's tables count them: the head's H for LSTM, the cell alone for GRU.
        macs = 4 * h * (1 + h) + h if cell == "lstm" else 3 * h * (1 + h)
        per = {}
        for tier in ("scalar", "neon"):
            a, b = (count(exe, so, cell, h, tier, s) for s in STEPS)
            per[tier] = (b - a) / (STEPS[1] - STEPS[0])
        print(
            f"| {cell.upper()} H={h} | {macs} | {per['scalar']:.0f} | {per['neon']:.0f} "
            f"| {per['neon'] / macs:.2f} | {per['neon'] / per['scalar']:.2f} |"
        )


if __name__ == "__main__":
    main()
