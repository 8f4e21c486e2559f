"""The optional LLM-as-judge: a configured LLM grades each answer's faithfulness (does it say only
what its quotes support?) and correctness (does it match the reference?). Off by default, and
always labelled as a model's opinion, never mixed with the measured metrics.

The prompt is prompts/judge.md. The LLM is reached through llama-index (any OpenAI-compatible
endpoint, or Ollama), as configured by the KIOSQUE_LLM_* settings.
"""

from __future__ import annotations

import json
import logging
import re
from bot.messages import prompt as prompt_text
from bot.errors import KiosqueError
from bot.evaluation.questions import Question
from bot.evaluation.records import ResultRecord

log = logging.getLogger("kiosque.eval.judge")

_JSON = re.compile(r"\{.*?\}", re.S)
#: a verdict is one short JSON object
JUDGE_MAX_TOKENS = 200


class JudgeUnavailable(KiosqueError):
    pass


def reference_for(question: Question) -> str:
    if not question.answerable:
        return "The articles do not answer this question: a correct answer says so."
    parts = []
    if question.reference_answer:
        parts.append(question.reference_answer)
    if question.expected_facts:
        parts.append("Facts it should state: " + "; ".join(" / ".join(f) for f in question.expected_facts))
    return "\n".join(parts) or "(no reference given: grade correctness 3 unless the answer is plainly wrong)"


def render_prompt(template: str, question: Question, record: ResultRecord) -> str:
    answer = record.answer
    quotes = "\n".join(f"[{c.n}] ({c.title}, {c.date or 'undated'}) {c.quote}"
                       for c in (answer.citations if answer else [])) or "(none)"
    values = {"question": question.question, "reference": reference_for(question),
              "answer": answer.text if answer else "", "quotes": quotes}
    # not str.format: the template shows a JSON example with braces
    return re.sub(r"\{(question|reference|answer|quotes)\}", lambda m: values[m.group(1)], template)


def parse_verdict(text: str) -> dict:
    """``{"faithfulness": 1-5, "correctness": 1-5, "reason": ...}`` → scores in [0, 1]; ValueError otherwise."""
    for m in _JSON.finditer(text or ""):
        try:
            obj = json.loads(m.group(0))
        except ValueError:
            continue
        if isinstance(obj, dict) and "faithfulness" in obj and "correctness" in obj:
            out = {}
            for key in ("faithfulness", "correctness"):
                value = obj[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
                    raise ValueError(f"{key} must be a number from 1 to 5, got {value!r}")
                out[key] = (float(value) - 1) / 4
            out["reason"] = str(obj.get("reason") or "")[:500]
            return out
    raise ValueError("no JSON verdict with faithfulness and correctness in the reply: " + (text or "")[:200])


class Judge:
    def __init__(self, llm, model: str, prompt: str | None = None):
        self.llm = llm
        self.model = model
        self.template = prompt if prompt is not None else prompt_text("judge.md")

    @classmethod
    def configured(cls, settings) -> Judge:
        """The judge on the configured LLM, built as the generative answerer's is, at temperature 0."""
        from bot.wiring import build_llm

        return cls(build_llm(settings, temperature=0.0, max_tokens=JUDGE_MAX_TOKENS), settings.llm.model)

    def probe(self) -> None:
        """One short call before the run: an unreachable judge fails before any work is done."""
        try:
            self.llm.complete("Reply with the word ok.")
        except Exception as exc:
            raise JudgeUnavailable(f"--judge: the LLM {self.model!r} did not answer ({type(exc).__name__}: "
                                   f"{str(exc)[:200]}); check the KIOSQUE_LLM_* settings") from None

    def judge(self, question: Question, record: ResultRecord) -> dict:
        """The verdict on one answer, or ``{"error": ...}`` (a judge failure never fails the run)."""
        try:
            reply = self.llm.complete(render_prompt(self.template, question, record)).text
            return parse_verdict(reply)
        except Exception as exc:
            log.warning("judge failed on %s: %s", question.id, exc)
            return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
