#!/usr/bin/env python3
"""Writes src/Crafter/Engine/daylight-numpy.bin: Crafter's daylight for steps 0..10000, computed by numpy.

Crafter sets daylight = 1 - |cos(pi * ((step / 300) % 1 + 0.3))| ** 3 with numpy. On AVX-512 machines numpy 1.24
evaluates np.cos with its SIMD (SVML) kernel, which differs from a correctly rounded cosine (and from .NET's
Math.Cos) in the last bits for about 45% of the steps. The reference traces were made that way, so the port
reads the value from this table (10001 little-endian float64) and only computes it for later steps.

Run with the numpy that made the traces (Debian 12's python3-numpy 1.24 on an AVX-512 machine):
    /usr/bin/python3 tools/daylight_table.py
"""
import pathlib
import struct

import numpy as np

STEPS = 10000
out = pathlib.Path(__file__).resolve().parent.parent / 'src' / 'Crafter' / 'Engine' / 'daylight-numpy.bin'
with open(out, 'wb') as f:
    for step in range(STEPS + 1):
        progress = (step / 300) % 1 + 0.3
        daylight = 1 - np.abs(np.cos(np.pi * progress)) ** 3
        f.write(struct.pack('<d', float(daylight)))
print(f'{out}: {STEPS + 1} values')
