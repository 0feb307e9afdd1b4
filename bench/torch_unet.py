"""
PyTorch reference for bench/ml.ts (by hand, never in CI): the same PAPER U-Net as src/ml/unet.ts (filters
16-32-64-128-128-128, 3x3 convs without bias -> GroupNorm(f/4) -> ReLU, 2x2 max-pool, 2x2 stride-2 transposed conv
-> GN -> ReLU, concat, two conv-GN-ReLU, 1x1 seg head + softmax), the focal Tversky loss of method.md and Adam, so
issue 3's "within 1.5x of PyTorch" compares the same network on the same cores.

    apt-get install python3-torch        # Debian's PyTorch 1.13 (CPU)
    python3 bench/torch_unet.py [steps=5] [--threads=1,2]

Prints ms per step (median of `steps` after 2 warm-up steps) for fine-tune 64x16, 128x8, 128x16, and the median CPU
time of the process per step (all threads; steadier than wall time on a shared machine).
"""
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FILTERS = [16, 32, 64, 128, 128, 128]
GROUP_DIVISOR = 4


def conv_gn_relu(cin, cout, k):
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.GroupNorm(cout // GROUP_DIVISOR, cout), nn.ReLU(inplace=True)]


class UNet(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.levels = int(math.log2(size / 8)) + 1
        f = FILTERS[: self.levels]
        self.enc = nn.ModuleList()
        cin = 1
        for l in range(self.levels):
            self.enc.append(nn.Sequential(*conv_gn_relu(cin, f[l], 3), *conv_gn_relu(f[l], f[l], 3)))
            cin = f[l]
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for l in range(self.levels - 2, -1, -1):
            self.up.append(nn.Sequential(nn.ConvTranspose2d(cin, f[l], 2, stride=2, bias=False), nn.GroupNorm(f[l] // GROUP_DIVISOR, f[l]), nn.ReLU(inplace=True)))
            self.dec.append(nn.Sequential(*conv_gn_relu(2 * f[l], f[l], 3), *conv_gn_relu(f[l], f[l], 3)))
            cin = f[l]
        self.head = nn.Conv2d(cin, 3, 1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x):
        skips = []
        for l, block in enumerate(self.enc):
            if l > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = dec(torch.cat([x, skips.pop()], dim=1))
        return torch.softmax(self.head(x), dim=1)


def focal_tversky(t, p, alpha=(0.5, 0.7, 0.7), weights=(0.1, 1.0, 1.0), gamma=4 / 3, smooth=1.0):
    axes = (0, 2, 3)
    tp = (t * p).sum(axes)
    fn = t.sum(axes) - tp
    fp = p.sum(axes) - tp
    a = torch.tensor(alpha)
    ti = (tp + smooth) / (tp + a * fn + (1 - a) * fp + smooth)
    return ((1 - ti).clamp(min=1e-6) ** (1 / gamma) * torch.tensor(weights)).sum()


def measure(size, batch, steps):
    torch.manual_seed(1)
    model = UNet(size)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, size, size)
    labels = torch.randint(0, 3, (batch, size, size))
    t = F.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    times = []
    cpu = []
    for i in range(steps + 2):
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad()
        loss = focal_tversky(t, model(x))
        loss.backward()
        opt.step()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(times), times, statistics.median(cpu)


def main():
    steps = int(next((a for a in sys.argv[1:] if not a.startswith("--")), 5))
    threads = [int(n) for a in sys.argv[1:] if a.startswith("--threads=") for n in a.split("=")[1].split(",")] or [1]
    print(f"torch {torch.__version__}, steps {steps}")
    for n in threads:
        torch.set_num_threads(n)
        for size, batch in [(64, 16), (128, 8), (128, 16)]:
            med, times, cpu = measure(size, batch, steps)
            print(f"{n} thread(s)  fine-tune {size}²×{batch}  median {med:.0f} ms  ({', '.join(f'{m:.0f}' for m in times)})  cpu {cpu:.0f} ms")


if __name__ == "__main__":
    main()
