#!/usr/bin/python3
"""Masked-language-model pretraining of one of ordo's bundled encoders.

The sinusoidal and the learned model are trained by this same script with the
same arguments except --pe: same architecture, data, batch order, masks, seed,
steps and optimizer. Only the positional encoding differs (and the learned
table's own initial values, drawn from a separate generator).

Usage:
  train_mlm.py --pe sinusoidal --train WORK/corpus/train.txt --spm WORK/spm/ordo.model \
               --steps 1000 --out WORK/sinusoidal
Writes OUT/checkpoint.pt (float32 state dict + config + run info) and OUT/train_log.tsv.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ordo_bert as ob  # noqa: E402  (sets thread env before torch loads)

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pe", choices=["sinusoidal", "learned"], required=True)
    ap.add_argument("--train", required=True, help="train split, one line per sentence")
    ap.add_argument("--spm", required=True, help="SentencePiece model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128, help="tokens incl. [CLS] and [SEP]")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=20)
    return ap.parse_args()


def batches(sequences, batch_size, seed):
    """Endless stream of batches: each epoch a fresh permutation from a seeded generator."""
    epoch = 0
    while True:
        order = np.random.RandomState(seed + epoch).permutation(len(sequences))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield epoch, [sequences[i] for i in order[start : start + batch_size]]
        epoch += 1


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    sp = spm.SentencePieceProcessor(model_file=args.spm)
    vocab_size = sp.get_piece_size()
    encoded = ob.encode_lines(sp, args.train)
    sequences = ob.pack_lines(encoded, args.max_len - 2)
    n_pieces = sum(len(s) for s in sequences)
    print(f"{len(encoded)} lines -> {len(sequences)} sequences, {n_pieces} pieces "
          f"({n_pieces / len(sequences):.1f} per sequence); vocab {vocab_size}", flush=True)

    cfg = ob.make_config(vocab_size, args.pe, args.hidden, args.layers, args.heads, args.ffn,
                         args.max_len)
    model = ob.BertForMaskedLM(cfg)
    model.init_weights(args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"pe={args.pe} parameters={n_params}", flush=True)

    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, int(args.warmup * args.steps))

    def lr_at(step):  # step counts from 1; linear warmup then linear decay to 0
        if step <= warmup:
            return args.lr * step / warmup
        return args.lr * max(0.0, (args.steps - step) / (args.steps - warmup))

    mask_gen = torch.Generator().manual_seed(args.seed + 2)
    stream = batches(sequences, args.batch, args.seed + 3)
    log = open(os.path.join(args.out, "train_log.tsv"), "w")
    log.write("step\tepoch\tlr\tloss\tmasked_acc\telapsed_s\n")
    model.train()
    t_train = time.time()
    run_loss = run_acc = run_n = 0.0
    for step in range(1, args.steps + 1):
        epoch, batch = next(stream)
        ids, attention = ob.frame(batch)
        inputs, selected = ob.mask_for_training(ids, vocab_size, mask_gen)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        hidden, _, _ = model.bert(inputs, attention)
        logits = model.mlm_logits(hidden[selected])  # head only where it is scored
        targets = ids[selected]
        loss = F.cross_entropy(logits, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        if not math.isfinite(loss.item()):
            raise SystemExit(f"step {step}: loss is {loss.item()}")
        run_loss += loss.item()
        run_acc += (logits.argmax(-1) == targets).float().mean().item()
        run_n += 1
        if step % args.log_every == 0 or step == args.steps:
            elapsed = time.time() - t_train
            line = (f"{step}\t{epoch}\t{lr_at(step):.3g}\t{run_loss / run_n:.4f}\t"
                    f"{run_acc / run_n:.4f}\t{elapsed:.1f}")
            log.write(line + "\n")
            log.flush()
            eta = elapsed / step * (args.steps - step)
            print(f"step {step}/{args.steps} epoch {epoch} loss {run_loss / run_n:.4f} "
                  f"acc {run_acc / run_n:.4f} {elapsed / step:.2f}s/step eta {eta / 60:.1f}min",
                  flush=True)
            run_loss = run_acc = run_n = 0.0

    train_seconds = time.time() - t_train
    info = {"pe": args.pe, "steps": args.steps, "batch": args.batch, "max_len": args.max_len,
            "lr": args.lr, "warmup_steps": warmup, "schedule": "linear warmup, linear decay to 0",
            "optimizer": "AdamW betas (0.9, 0.98) eps 1e-6", "weight_decay": args.weight_decay,
            "clip": args.clip, "seed": args.seed, "threads": args.threads,
            "parameters": n_params, "train_sequences": len(sequences),
            "train_pieces": n_pieces, "epochs_seen": epoch,
            "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.time() - t_start, 1)}
    torch.save({"config": cfg, "state_dict": model.state_dict(), "run": info},
               os.path.join(args.out, "checkpoint.pt"))
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
