#!/usr/bin/env python3
"""A tau miner in plain Python for the `exec` backend (no third-party packages).

Serves the `next-token` task: reads one JSON request per line on stdin, writes one JSON reply per
line on stdout (schema: node/src/neuron/backend/exec.rs). The model is a bigram model with
add-one smoothing that trains itself on the context windows validators send it: every window is
a sample of the text, so the more it is asked, the better it gets.

Run it as a miner backend with e.g. `--backend exec --exec "python3 examples/exec_miner.py"`,
or try it by hand:

    echo '{"id":1,"task":"next-token","request":{"context":["baba","beko"],"k":3}}' \
        | python3 examples/exec_miner.py
"""

import json
import sys
from collections import defaultdict

# Mass left for words the model does not list: the scorer spreads it over the rest of the
# vocabulary, so an honest miner keeps some in reserve.
RESERVE = 0.05
# How strongly the unigram distribution smooths the bigram counts.
SMOOTHING = 2.0

unigram = defaultdict(int)
bigram = defaultdict(lambda: defaultdict(int))
seen = 0


def learn(context):
    global seen
    for word in context:
        unigram[word] += 1
        seen += 1
    for prev, word in zip(context, context[1:]):
        bigram[prev][word] += 1


def predict(context, k):
    """Top-k of P(w | last) = (c(last, w) + S·P(w)) / (c(last) + S), P(w) add-one unigram."""
    learn(context)
    follow = bigram.get(context[-1], {})
    n_follow = sum(follow.values())
    vocab = len(unigram)
    scored = []
    for word, count in unigram.items():
        p_uni = (count + 1) / (seen + vocab)
        p = (follow.get(word, 0) + SMOOTHING * p_uni) / (n_follow + SMOOTHING)
        scored.append((p, word))
    scored.sort(key=lambda pw: (-pw[0], pw[1]))
    return [{"token": w, "p": p * (1.0 - RESERVE)} for p, w in scored[:k]]


def answer(line):
    try:
        msg = json.loads(line)
    except ValueError as e:
        return {"id": None, "error": "bad JSON: %s" % e}
    rid = msg.get("id")
    if msg.get("task") != "next-token":
        return {"id": rid, "error": "only next-token is served"}
    request = msg.get("request") or {}
    context = request.get("context") or []
    k = int(request.get("k", 1))
    if not context or not all(isinstance(w, str) for w in context):
        return {"id": rid, "error": "context must be a non-empty list of words"}
    return {"id": rid, "response": {"top": predict(context, max(1, min(k, 32)))}}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(answer(line), separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
