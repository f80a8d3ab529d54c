#!/usr/bin/python3
"""Masked-language-model pretraining of ordo's bundled twins.

Every twin is trained by this same script with the same arguments except --pe: same
architecture, tokenizer, data, batch order, masks, seed, steps and schedule. Only how the
model knows position differs:
  none           no position information at all (the control)
  sinusoidal     fixed interleaved sinusoid added to the input
  learned        a [max-len, hidden] table added to the input, drawn at random (as BERT)
  rotary         q and k rotated (RoPE, GPT-NeoX layout, base 10000)
  alibi          linear distance penalty on the scores (bidirectional, paper's slopes)
  relative_bias  T5/MPNet bucketed bias on the scores, one table for all layers
Shared weights are drawn from one generator in name order and position parameters from
their own, so all twins start from the same shared weights.

Schedule: 16000 AdamW steps (the lab's budget; --steps); the first 30% on sequences of at most
32 tokens (128 per batch), the rest on 128 tokens (32 per batch), the same number of tokens per
step. Trained on 128
tokens from the first step, the twins sat at the most-frequent-piece plateau for over 1000
steps (held-out 4.4-4.8% at steps 500-1000): with near-uniform attention over 128 tokens the
context carries little. This is BERT's own curriculum in small (90% of its steps at 128
tokens, then 512): the learned table's rows past the short length are trained only in the
second phase, for every kind of table alike.

Resumable: every --save-every steps OUT/resume.pt holds the model, optimizer, mask
generator and step; rerunning the same command continues from it (the batch streams are
replayed to the same point), and the result is the one an uninterrupted run gives.
Every --eval-every steps the held-out MLM top-1 accuracy at the training length
(mlm.masked_eval_set, fixed masks) is appended to OUT/heldout_log.tsv: the curves.

Usage:
  train_mlm.py --pe learned --train WORK/corpus/train.txt --heldout WORK/corpus/heldout.txt \
               --spm WORK/spm/ordo.model --out WORK/learned
Writes OUT/checkpoint.pt (float32 state dict + config + run info), OUT/run.json,
OUT/train_log.tsv (acc_selected: all scored positions, acc_masked: those shown as [MASK])
and OUT/heldout_log.tsv.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))  # tools/py: the ordo_tools package
from ordo_tools import mlm  # noqa: E402  (first: sets the thread environment before torch loads)
from ordo_tools.bert import BertForMaskedLM  # noqa: E402

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pe", choices=list(mlm.POSITION_TYPES), required=True)
    ap.add_argument("--train", required=True, help="train split, one line per sentence")
    ap.add_argument("--heldout", required=True, help="held-out text for the accuracy curve")
    ap.add_argument("--spm", required=True, help="SentencePiece model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=16000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128, help="tokens incl. [CLS] and [SEP]")
    ap.add_argument("--short-len", type=int, default=32,
                    help="sequence-length warmup: tokens per sequence in the first phase")
    ap.add_argument("--short-batch", type=int, default=128,
                    help="sequences per batch in the first phase (same tokens per step)")
    ap.add_argument("--short-frac", type=float, default=0.3,
                    help="fraction of the steps in the short phase (0 disables it)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of steps")
    ap.add_argument("--embed-lr-mult", type=float, default=1.0,
                    help="learning-rate multiplier for the word and learned position tables")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--embed-init-std", type=float, default=0.5,
                    help="std of the initial word table, and of the learned position table "
                         "with --position-init normal (others: 0.02)")
    ap.add_argument("--position-init", choices=["sinusoid", "normal"], default="normal",
                    help="learned model: draw the position table with --embed-init-std "
                         "(default) or start it as the sinusoid")
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--stop-after", type=int, default=0,
                    help="pilot runs only: stop after N steps of the --steps schedule")
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
    encoded = mlm.encode_lines(sp, args.train)
    sequences = mlm.pack_lines(encoded, args.max_len - 2)
    short_sequences = mlm.pack_lines(encoded, args.short_len - 2)
    n_pieces = sum(len(s) for s in sequences)
    short_steps = int(args.short_frac * args.steps)
    print(f"{len(encoded)} lines -> {len(sequences)} sequences, {n_pieces} pieces "
          f"({n_pieces / len(sequences):.1f} per sequence); vocab {vocab_size}; "
          f"first {short_steps} steps on {len(short_sequences)} sequences of <= "
          f"{args.short_len} tokens", flush=True)

    cfg = mlm.make_config(vocab_size, args.pe, args.hidden, args.layers, args.heads, args.ffn,
                          args.max_len)
    model = BertForMaskedLM(cfg)
    model.init_weights(args.seed, embed_std=args.embed_init_std, position_init=args.position_init)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"pe={args.pe} parameters={n_params}", flush=True)

    tables = ("bert.embeddings.word_embeddings.weight",  # no weight decay, own lr multiplier
              "bert.embeddings.position_embeddings.weight",
              "bert.encoder.relative_attention_bias.weight")
    groups = {"decay": [], "no_decay": [], "tables": []}
    for name, p in model.named_parameters():
        if name in tables:
            groups["tables"].append(p)
        elif name.endswith("bias") or "LayerNorm" in name:
            groups["no_decay"].append(p)
        else:
            groups["decay"].append(p)
    lr_mult = [1.0, 1.0, args.embed_lr_mult]
    opt = torch.optim.AdamW([{"params": groups["decay"], "weight_decay": args.weight_decay},
                             {"params": groups["no_decay"], "weight_decay": 0.0},
                             {"params": groups["tables"], "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, int(args.warmup * args.steps))

    def lr_at(step):  # step counts from 1; linear warmup then linear decay to 0
        if step <= warmup:
            return args.lr * step / warmup
        return args.lr * max(0.0, (args.steps - step) / (args.steps - warmup))

    mask_gen = torch.Generator().manual_seed(args.seed + 2)
    short_stream = batches(short_sequences, args.short_batch, args.seed + 4)
    stream = batches(sequences, args.batch, args.seed + 3)
    held_stream = [i for ids in mlm.encode_lines(sp, args.heldout) for i in ids]
    held_ids, held_inputs, held_scored = mlm.masked_eval_set(held_stream, args.max_len, 12345)

    resume_path = os.path.join(args.out, "resume.pt")
    first_step, trained_seconds = 1, 0.0
    # What makes two runs the same run: the arguments that shape training, and the input
    # files by content (not by path: a resumed run may live in another directory).
    fingerprint = {k: v for k, v in vars(args).items() if k not in (
        "threads", "log_every", "eval_every", "save_every", "stop_after", "out", "train",
        "heldout", "spm")}
    for name in ("train", "heldout", "spm"):
        with open(getattr(args, name), "rb") as f:
            fingerprint[name + "_sha256"] = hashlib.sha256(f.read()).hexdigest()
    if os.path.exists(resume_path):
        saved = torch.load(resume_path)
        if saved["args"] != fingerprint:
            raise SystemExit(f"{resume_path} was written by a run with other arguments: "
                             f"{saved['args']}; remove it or run with those")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        mask_gen.set_state(saved["mask_gen"])
        first_step, trained_seconds = saved["step"] + 1, saved["train_seconds"]
        for _ in range(1, first_step):  # replay the batch order up to where it stopped
            next(short_stream if _ <= short_steps else stream)
        print(f"resumed from {resume_path} at step {saved['step']}", flush=True)

    def open_log(name, header):
        path = os.path.join(args.out, name)
        if first_step == 1 or not os.path.exists(path):
            with open(path, "w") as f:
                f.write(header + "\n")
        else:  # drop lines logged after the checkpoint the run resumes from
            with open(path) as f:
                lines = f.read().splitlines()
            kept = [lines[0]] + [l for l in lines[1:] if int(l.split("\t")[0]) < first_step]
            with open(path, "w") as f:
                f.write("\n".join(kept) + "\n")
        return open(path, "a")

    log = open_log("train_log.tsv", "step\tepoch\tlr\tloss\tacc_selected\tacc_masked\telapsed_s")
    held_log = open_log("heldout_log.tsv", "step\theldout_top1\tscored")
    model.train()
    t_train = time.time() - trained_seconds
    run_loss = run_acc = run_macc = run_n = 0.0
    step, heldout_top1 = first_step - 1, None
    for step in range(first_step, args.steps + 1):
        # Sequence-length warmup: with 128 tokens and near-uniform initial attention each
        # neighbour gets 1/128 of the weight and MLM sat at the unigram plateau.
        epoch, batch = next(short_stream if step <= short_steps else stream)
        ids, attention = mlm.frame(batch)
        inputs, selected = mlm.mask_for_training(ids, vocab_size, mask_gen)
        for group, mult in zip(opt.param_groups, lr_mult):
            group["lr"] = lr_at(step) * mult
        hidden = model.bert(inputs, attention)
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
        hit = logits.argmax(-1) == targets
        was_masked = inputs[selected] == mlm.MASK_ID  # excludes the kept and the random 20%
        run_acc += hit.float().mean().item()
        run_macc += hit[was_masked].float().mean().item()
        run_n += 1
        if step % args.log_every == 0 or step == args.steps or step == args.stop_after:
            elapsed = time.time() - t_train
            line = (f"{step}\t{epoch}\t{lr_at(step):.3g}\t{run_loss / run_n:.4f}\t"
                    f"{run_acc / run_n:.4f}\t{run_macc / run_n:.4f}\t{elapsed:.1f}")
            log.write(line + "\n")
            log.flush()
            eta = elapsed / step * (args.steps - step)  # elapsed includes resumed time
            print(f"step {step}/{args.steps} epoch {epoch} loss {run_loss / run_n:.4f} "
                  f"acc {run_acc / run_n:.4f} acc[MASK] {run_macc / run_n:.4f} {elapsed / step:.2f}s/step eta {eta / 60:.1f}min",
                  flush=True)
            run_loss = run_acc = run_macc = run_n = 0.0
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            correct = (mlm.predict(model, held_inputs) == held_ids) & held_scored
            model.train()
            n = int(held_scored.sum())
            heldout_top1 = round(int(correct.sum()) / n, 4)
            held_log.write(f"{step}\t{heldout_top1:.4f}\t{n}\n")
            held_log.flush()
            print(f"step {step}: held-out top-1 {heldout_top1:.4f}", flush=True)
        if step % args.save_every == 0 and step < args.steps:
            torch.save({"args": fingerprint, "model": model.state_dict(),
                        "optimizer": opt.state_dict(), "mask_gen": mask_gen.get_state(),
                        "step": step, "train_seconds": time.time() - t_train},
                       resume_path + ".tmp")
            os.replace(resume_path + ".tmp", resume_path)  # never a half-written checkpoint
        if step == args.stop_after:
            break

    train_seconds = time.time() - t_train
    info = {"pe": args.pe, "steps": args.steps, "batch": args.batch, "max_len": args.max_len,
            "steps_done": step, "short_phase": {"steps": short_steps, "max_len": args.short_len,
                                                "batch": args.short_batch}, "embed_init_std": args.embed_init_std,
            "position_init": args.position_init if args.pe == "learned" else None,
            "heldout_top1_last": heldout_top1,
            "lr": args.lr, "warmup_steps": warmup, "schedule": "linear warmup, linear decay to 0",
            "optimizer": "AdamW betas (0.9, 0.98) eps 1e-6", "weight_decay": args.weight_decay,
            "embed_lr_mult": args.embed_lr_mult,
            "clip": args.clip, "seed": args.seed, "threads": args.threads,
            "parameters": n_params, "train_sequences": len(sequences),
            "train_pieces": n_pieces, "epochs_seen": epoch,
            "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.time() - t_start, 1)}
    torch.save({"config": cfg, "state_dict": model.state_dict(), "run": info},
               os.path.join(args.out, "checkpoint.pt"))
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    if step == args.steps and os.path.exists(resume_path):
        os.remove(resume_path)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
