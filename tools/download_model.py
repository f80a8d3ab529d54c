#!/usr/bin/env python3
"""Download a Hugging Face model directory that ordo can run, over plain HTTPS, resumably.

    tools/download_model.py sentence-transformers/all-MiniLM-L6-v2 ~/models/all-MiniLM-L6-v2
    tools/download_model.py Helsinki-NLP/opus-mt-en-zh ~/models/opus-mt-en-zh --revision main
    tools/download_model.py nomic-ai/modernbert-embed-base ~/models/modernbert-embed-base
    build/tools/ordo encode --model ~/models/all-MiniLM-L6-v2 --jsonl --output pooled "text"

One repository per family of today's embedding encoders (EXAMPLES below, also in --help):
    tools/download_model.py sentence-transformers/all-mpnet-base-v2 ~/models/all-mpnet-base-v2
    tools/download_model.py nomic-ai/nomic-embed-text-v1.5 ~/models/nomic-embed-text-v1.5
    tools/download_model.py jinaai/jina-embeddings-v2-base-en ~/models/jina-embeddings-v2-base-en
    tools/download_model.py Alibaba-NLP/gte-base-en-v1.5 ~/models/gte-base-en-v1.5
    tools/download_model.py answerdotai/ModernBERT-base ~/models/ModernBERT-base
    build/tools/ordo encode --model ~/models/nomic-embed-text-v1.5 --prompt search_query \\
        --output pooled --dim 256 --jsonl "text"

For users on a machine with internet access; ordo's build and tests never download anything.
Python 3 standard library only. It fetches the files ordo reads when the repository has them:
config.json, model.safetensors, the tokenizer (tokenizer.json, tokenizer.model,
sentencepiece.bpe.model, spiece.model, source.spm + vocab.json, vocab.txt, merges.txt),
tokenizer_config.json, special_tokens_map.json and sentence-transformers' modules.json,
sentence_bert_config.json, config_sentence_transformers.json (prompts) and
1_Pooling/config.json. Files the repository lacks are skipped; config.json and
model.safetensors are required.

Resumable: a file is downloaded to NAME.partial and continued with an HTTP Range request when
the command is run again; a complete file is not fetched twice (its size is checked against
the server's). Set HF_TOKEN for gated or private repositories; --endpoint points elsewhere
(a mirror, or a local server for testing). Exit status: 0 done, 1 download error, 2 usage.
"""

import argparse
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer.model",
         "sentencepiece.bpe.model", "spiece.model", "source.spm", "vocab.json", "vocab.txt",
         "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "modules.json",
         "sentence_bert_config.json", "config_sentence_transformers.json",
         "1_Pooling/config.json"]
# One repository per family (model_type) of today's embedding encoders, for --help.
EXAMPLES = [("mpnet", "sentence-transformers/all-mpnet-base-v2"),
            ("nomic_bert", "nomic-ai/nomic-embed-text-v1.5"),
            ("bert (JinaBERT-v2)", "jinaai/jina-embeddings-v2-base-en"),
            ("new (GTE-v1.5)", "Alibaba-NLP/gte-base-en-v1.5"),
            ("modernbert", "answerdotai/ModernBERT-base")]
REQUIRED = {"config.json", "model.safetensors"}
CHUNK = 1 << 20


def request(url, token, start=0):
    headers = {"User-Agent": "ordo-download/1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60)


def remote_size(response):
    """Total size from Content-Range (partial) or Content-Length (whole), else None."""
    content_range = response.headers.get("Content-Range")
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def fetch(url, destination, token):
    """Returns False when the server has no such file (404), True when it is complete."""
    partial = destination + ".partial"
    start = os.path.getsize(partial) if os.path.exists(partial) else 0
    try:
        response = request(url, token, start)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        if error.code == 416 and start:  # the partial file is already whole
            os.replace(partial, destination)
            return True
        raise RuntimeError(f"{url}: HTTP {error.code} {error.reason}"
                           + (" (set HF_TOKEN for gated repositories)"
                              if error.code in (401, 403) else ""))
    with response:
        total = remote_size(response)
        if start and response.status != 206:  # the server ignored Range: start over
            start = 0
        if os.path.exists(destination) and total is not None and \
                os.path.getsize(destination) == total and not start:
            return True
        os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
        done = start
        with open(partial, "ab" if start else "wb") as out:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if total and sys.stderr.isatty():
                    sys.stderr.write(f"\r  {os.path.basename(destination)}: "
                                     f"{done / 1e6:.1f} / {total / 1e6:.1f} MB")
        if total and sys.stderr.isatty():
            sys.stderr.write("\n")
    if total is not None and done != total:
        raise RuntimeError(f"{url}: got {done} of {total} bytes; run again to resume")
    os.replace(partial, destination)
    return True


def main():
    parser = argparse.ArgumentParser(
        description="Download a Hugging Face model directory for ordo (resumable).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples, one per family:\n" + "\n".join(
            f"  {sys.argv[0]} {repository} ~/models/{repository.split('/')[1]}   # {family}"
            for family, repository in EXAMPLES))
    parser.add_argument("repository", help="e.g. sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("directory", help="where to put the files")
    parser.add_argument("--revision", default="main", help="branch, tag or commit (main)")
    parser.add_argument("--endpoint", default=os.environ.get("HF_ENDPOINT",
                                                             "https://huggingface.co"))
    args = parser.parse_args()
    if args.repository.count("/") > 1 or ".." in args.repository or not args.repository.strip("/"):
        parser.error(f"repository '{args.repository}' is not OWNER/NAME")
    token = os.environ.get("HF_TOKEN")
    base = (f"{args.endpoint.rstrip('/')}/{args.repository}/resolve/"
            f"{urllib.parse.quote(args.revision, safe='')}/")
    got, missing = [], []
    try:
        for name in FILES:
            destination = os.path.join(args.directory, *name.split("/"))
            if fetch(base + name, destination, token):
                got.append(name)
            else:
                missing.append(name)
    except (RuntimeError, urllib.error.URLError, OSError) as error:
        print(f"download_model.py: {error}", file=sys.stderr)
        return 1
    absent = REQUIRED - set(got)
    if absent:
        print(f"download_model.py: {args.repository} has no {', '.join(sorted(absent))} "
              "(ordo reads model.safetensors only; convert pytorch_model.bin first)",
              file=sys.stderr)
        return 1
    print(f"{args.directory}: {', '.join(got)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
