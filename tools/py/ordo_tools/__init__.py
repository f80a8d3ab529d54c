"""Code shared by ordo's Python tools: one safetensors writer and reader, the torch.nn
reference encoder of the fixtures, the Hugging Face-layout BERT that is trained and exported,
and the pieces around them.

    safetensors  write_safetensors, encode, read_safetensors (the format, without the
                 `safetensors` package; standard library only except the reader)
    sinusoid     hf_angles, sinusoidal_table (Hugging Face's sinusoidal position tables)
    reference    build_reference, run_reference (the torch.nn reference encoder)
    checkpoint   Spec, bert_config, random_bert_weights, write_json (random BERT checkpoints)
    bert         Bert, BertForMaskedLM, load_model_dir (BERT under Hugging Face's names)
    mlm          the bundled models' masked-LM recipe: config, data, masks, SplitMix64

The scripts stay where their names say (tools/, tools/bench/, tools/train/, fuzz/) and find
this package with one line at their top, e.g. in tools/make_fixtures.py:

    sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))

Importing the package itself loads nothing; torch and numpy come with the modules that use them.
"""
