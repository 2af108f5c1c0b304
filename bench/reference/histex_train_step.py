#!/usr/bin/env python3
"""PyTorch reference for `npm run bench -- train-step --model histex`.

The same HISTEX regressor as models/histex.ts (methods.md §3.3), written the way the released code
writes it (layer by layer, PyTorch modules), at the paper's configuration: 1029 feature channels,
1000 genes, batch 32 × 49 histology tokens, 5 gene tokens, d = 128, 8 heads, head 1024-512-512-512.

    CA(q, kv)  = Wo·concat_h softmax(Q_h K_hᵀ·heads^−½ + keyBias) V_h + bo   (Q, K, V, o with bias)
    BCA(A, B)  : C = CA₁(A, B); D = CA₂(B, A); Z = CA₃(C, D); out = L(Z) + Z, L(x) = x·W + 0.01
    z₁ = BCA₁(his, gene); z₂ = BCA₂(z₁, gene); head on concat(z₂, his):
    four bias-free Linear layers (+0.01 each), then ELU₀.₀₁(h·W₅) + 0.01; MIL mean over the bag; MSE.

Same optimiser (Adam, lr 1e-4, β = 0.9/0.999, ε = 1e-8), same batch shapes, same bag mask (all ones,
so the key bias is zero as in ours). `--fold` brackets the activation-free head the way
models/histex.ts does at this shape (identical function and gradients), to separate the algorithmic
saving from the runtime's speed.

Timing: `forwardMs` is one no-grad forward of the batch; `stepMs` one zero_grad + forward + loss +
backward + Adam step. Both are medians of `--runs` timed repetitions after 3 warm-up runs, with
torch.set_num_threads(2) (the machine's two cores, as ORT uses). The last stdout line is one JSON
object, like the Node benchmarks.

Run:  flock /work/bench.lock /usr/bin/python3 bench/reference/histex_train_step.py [--runs 15] [--fold]
(Debian's python3-torch 1.13 with OpenBLAS; /usr/bin/python3 because a pyenv python may shadow it.)
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

# OpenBLAS (Debian's torch calls it for every matmul) sizes its own pool from this, read at load time
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads)
os.environ.setdefault("OMP_NUM_THREADS", _threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402

TOKENS, GENE_TOKENS, FEATURES, GENES, DIM, HEADS = 49, 5, 1029, 1000, 128, 8
HEAD = (1024, 512, 512, 512)
BETA = 0.01


def histex_linear(in_dim: int, out_dim: int) -> nn.Linear:
    """HISTEX's bias-free Linear with its U(±1/√out_dim) init (model.py)."""
    lin = nn.Linear(in_dim, out_dim, bias=False)
    bound = 1 / math.sqrt(out_dim)
    nn.init.uniform_(lin.weight, -bound, bound)
    return lin


class CrossAttention(nn.Module):
    def __init__(self, q_dim: int, kv_dim: int):
        super().__init__()
        self.q = nn.Linear(q_dim, DIM)
        self.k = nn.Linear(kv_dim, DIM)
        self.v = nn.Linear(kv_dim, DIM)
        self.o = nn.Linear(DIM, DIM)
        self.scale = 1 / math.sqrt(HEADS)  # the released code's heads^−½

    def forward(self, q, kv, key_bias=None):
        b, n1, _ = q.shape
        n2 = kv.shape[1]
        dh = DIM // HEADS
        Q = self.q(q).view(b, n1, HEADS, dh).transpose(1, 2)
        K = self.k(kv).view(b, n2, HEADS, dh).transpose(1, 2)
        V = self.v(kv).view(b, n2, HEADS, dh).transpose(1, 2)
        scores = (Q @ K.transpose(-1, -2)) * self.scale
        if key_bias is not None:
            scores = scores + key_bias
        merged = (scores.softmax(-1) @ V).transpose(1, 2).reshape(b, n1, DIM)
        return self.o(merged)


class BCA(nn.Module):
    def __init__(self, a_dim: int, b_dim: int):
        super().__init__()
        self.ca1 = CrossAttention(a_dim, b_dim)
        self.ca2 = CrossAttention(b_dim, a_dim)
        self.ca3 = CrossAttention(DIM, DIM)
        self.l = histex_linear(DIM, DIM)

    def forward(self, a, b, a_bias):
        c = self.ca1(a, b)
        d = self.ca2(b, a, a_bias)
        z = self.ca3(c, d)
        return self.l(z) + BETA + z


class Histex(nn.Module):
    def __init__(self, fold: bool):
        super().__init__()
        self.fold = fold
        self.bca1 = BCA(FEATURES, GENES)
        self.bca2 = BCA(DIM, GENES)
        widths = (DIM + FEATURES, *HEAD, GENES)
        self.head = nn.ModuleList(histex_linear(i, o) for i, o in zip(widths[:-1], widths[1:]))

    def forward(self, his, gene, bag):
        n = his.shape[1]
        a_bias = ((bag - 1) * 1e9).view(-1, 1, 1, n)
        z1 = self.bca1(his, gene, a_bias)
        z2 = self.bca2(z1, gene, a_bias)
        ws = [lin.weight.t() for lin in self.head]  # [in, out]
        if self.fold:
            # models/histex.ts's bracketing at this shape (its matrix-chain choice for 32·49 tokens):
            # (x·(W₁W₂))·((W₃W₄)W₅) with x's parts meeting their own rows of W₁W₂, plus the +β terms
            # carried through the later layers as a vector
            a = ws[0] @ ws[1]
            c = (ws[2] @ ws[3]) @ ws[4]
            h = z2 @ a[:DIM] + his @ a[DIM:]
            bias = ws[1].sum(0) * BETA + BETA
            bias = ((bias @ ws[2] + BETA) @ ws[3] + BETA) @ ws[4]
            pre = h @ c + bias
        else:
            h = torch.cat([z2, his], -1)
            for i, lin in enumerate(self.head):
                h = lin(h)
                if i < len(self.head) - 1:
                    h = h + BETA
            pre = h
        pred = nn.functional.elu(pre, 0.01) + BETA
        w = bag.unsqueeze(2)
        count = bag.sum(1, keepdim=True).clamp(min=1)
        return (pred * w).sum(1) / count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fold", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    B = args.batch
    his = torch.rand(B, TOKENS, FEATURES) * 2 - 1
    gene = torch.rand(B, GENE_TOKENS, GENES) * 2 - 1
    bag = torch.ones(B, TOKENS)
    y = torch.rand(B, GENES)
    model = Histex(args.fold)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

    def forward():
        with torch.no_grad():
            model(his, gene, bag)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = ((model(his, gene, bag) - y) ** 2).mean()
        loss.backward()
        opt.step()

    # Interleave forward and step rounds like the Node bench, so load drift hits both alike.
    fwd, stp = [], []
    for _ in range(3):
        forward()
        step()
    for _ in range(args.runs):
        fwd += timed_once(forward)
        stp += timed_once(step)
    print(
        json.dumps(
            {
                "bench": "histex_train_step.py",
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "fold": args.fold,
                "batch": B,
                "params": params,
                "forwardMinMs": round(min(fwd), 3),
                "stepMinMs": round(min(stp), 3),
                "forwardMs": round(statistics.median(fwd), 3),
                "stepMs": round(statistics.median(stp), 3),
                "loadavg": os.getloadavg()[0],
            }
        )
    )


def timed_once(fn):
    t0 = time.perf_counter()
    fn()
    return [(time.perf_counter() - t0) * 1000]


if __name__ == "__main__":
    main()
