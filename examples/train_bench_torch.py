"""PyTorch single-thread training throughput on the same task as examples/train_bench.rs.

LSTM-H + Linear(H, 1) with a residual, batches of independent audio segments, truncated BPTT
windows with the state carried (detached), MSE loss, Adam. Prints one line per size:
`torch H=<H> samples_per_s=<float>`.
Usage: python3 train_bench_torch.py BATCH WINDOW STEPS H [H ...]
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)


class Net(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = torch.nn.LSTM(1, hidden, batch_first=True)
        self.fc = torch.nn.Linear(hidden, 1)

    def forward(self, x, state):
        h, state = self.rnn(x, state)
        return self.fc(h) + x, state


def bench(batch, window, steps, hidden):
    net = Net(hidden)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, window * (steps + 2), 1) * 0.5
    y = torch.tanh(2 * x)
    state = None
    t0 = None
    for k in range(steps + 2):
        if k == 2:
            t0 = time.perf_counter()
        xs, ys = x[:, k * window:(k + 1) * window], y[:, k * window:(k + 1) * window]
        opt.zero_grad()
        out, state = net(xs, state)
        loss = torch.mean((out - ys) ** 2)
        loss.backward()
        opt.step()
        state = tuple(s.detach() for s in state)
    dt = time.perf_counter() - t0
    return batch * window * steps / dt


if __name__ == "__main__":
    batch, window, steps = (int(a) for a in sys.argv[1:4])
    for h in sys.argv[4:]:
        print(f"torch H={h} samples_per_s={bench(batch, window, steps, int(h)):.1f}", flush=True)
