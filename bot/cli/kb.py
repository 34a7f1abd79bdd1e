"""``suara kb validate|import|export|ask|eval``: the knowledge base from the command line.

Problems in FAQ files are ``file:line: problem`` lines (exit 1); a file that cannot be used is
one ``suara: file:line: reason`` line on standard error (exit 2) and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import knowledge
import nlu
from knowledge import FAQ_DIR, Abstain, Answer, Clarify, FaqEntry, KnowledgeBase
from knowledge.evaluate import Outcome, labelled_questions, score
from knowledge.faq_loader import faq_yaml, load_faq, parse_faq
from knowledge.hoaxes import HOAX_DIR, HOAX_FILE, NEAR_TRUE_FILE, check_hoaxes, parse_hoaxes, parse_near_true
from knowledge.jsonl import JsonlFormatError, entries_from_rows, entries_to_rows
from knowledge.validate import Problem, check_entries, confusable_phrasings, phrasing_documents

from bot.settings import Settings
from bot.storage.staff_files import StaffFileError, read_jsonl, read_text, write_atomically

OWN_TEST_SET = Path(knowledge.__file__).resolve().parent / "eval" / "voter_questions.jsonl"
_PROGRESS_EVERY = 200


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``kb`` commands to the ``suara`` parser."""
    kb = commands.add_parser("kb", help="knowledge base: validate, import/export JSONL, ask, evaluate")
    kb_commands = kb.add_subparsers(title="kb commands")

    validate = kb_commands.add_parser(
        "validate", help="check FAQ and hoax files; prints file:line: problem (exit 1 if any)")
    _faq_option(validate)
    validate.add_argument("--hoaxes", type=Path, default=HOAX_DIR,
                          help="folder of hoaxes.yml and near_true.yml (default: knowledge/hoaxes)")
    validate.set_defaults(run=_validate)

    load = kb_commands.add_parser("import", help="convert kb.jsonl (+ kb_questions.jsonl) into an FAQ YAML file")
    load.add_argument("--kb", type=Path, required=True, help="JSONL rows {answer_id, answer, answer_en?}")
    load.add_argument("--questions", type=Path, help="JSONL rows {query, answer_id}: become the phrasings")
    load.add_argument("--out", type=Path, required=True, help="the FAQ file to write (e.g. knowledge/faq/new.yml)")
    load.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    load.set_defaults(run=_import)

    export = kb_commands.add_parser("export", help="write the FAQ as kb.jsonl and kb_questions.jsonl")
    _faq_option(export)
    export.add_argument("--out-dir", type=Path, required=True, help="folder for kb.jsonl and kb_questions.jsonl")
    export.add_argument("--force", action="store_true", help="overwrite the files if they exist")
    export.set_defaults(run=_export)

    ask = kb_commands.add_parser("ask", help="show the top 3 entries for a question and the decision")
    ask.add_argument("question", help="the question, as a voter would type it")
    ask.add_argument("--region", help="the voter's region (entries scoped to another region are not offered)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    _faq_option(ask)
    ask.set_defaults(run=_ask)

    evaluate = kb_commands.add_parser(
        "eval", help="Recall@1/@3, MRR, abstention P/R/F1 and latency on a labelled test set",
        description="Without --kb: the FAQ folder (with knowledge/out_of_scope.yml) on "
        "knowledge/eval/voter_questions.jsonl. With --kb: any knowledge base in the kb.jsonl / "
        "kb_questions.jsonl shape, its decision rule fitted by cross-validation over its questions. "
        "Test rows are {query, answer_id}; answer_id null marks an out-of-scope question. "
        "Passage datasets (faq_id_facqa: *_passages.jsonl / *_queries.jsonl) have another shape: "
        "use bench/retrieval.py for them.",
    )
    evaluate.add_argument("--kb", type=Path, help="kb.jsonl of another knowledge base")
    evaluate.add_argument("--questions", type=Path,
                          help="its kb_questions.jsonl (default: kb_questions.jsonl beside --kb, if any)")
    evaluate.add_argument("--test", type=Path, help="test JSONL (default: test.jsonl beside --kb, "
                          "or knowledge/eval/voter_questions.jsonl)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _faq_option(evaluate)
    evaluate.set_defaults(run=_eval)


def _faq_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--faq", type=Path, default=FAQ_DIR, help="folder of FAQ files (default: knowledge/faq)")


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _encoder(settings: Settings):  # noqa: ANN202 - bot.embedding.SentenceEncoder, loaded lazily
    from bot.understanding.models import settings_encoder

    return settings_encoder(settings)


def _say(message: str) -> None:
    print(f"suara: {message}", file=sys.stderr, flush=True)


def _faq_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise StaffFileError(folder, "folder tidak ada / no such folder")
    return sorted(folder.glob("*.yml"))


# -- validate ---------------------------------------------------------------------------------

def _validate(settings: Settings, args: argparse.Namespace) -> int:
    entries: list[FaqEntry] = []
    problems: list[Problem] = []
    files = _faq_files(args.faq)
    for path in files:
        try:
            parsed, errors = parse_faq(read_text(path), str(path))
        except StaffFileError as exc:
            problems.append(Problem(str(exc.path), exc.line or 1, exc.reason))
            continue
        entries += parsed
        problems += [Problem(e.file, e.line, e.reason) for e in errors]
    problems += check_entries(entries, _today(settings))
    problems += _hoax_problems(args.hoaxes, _today(settings))
    if entries:
        from bot.understanding.knowledge_source import cached_vectors

        vectors = cached_vectors(phrasing_documents(entries), _encoder(settings))
        problems += confusable_phrasings(entries, vectors)
    for problem in sorted(problems, key=lambda p: (p.file, p.line)):
        print(problem)
    _say(f"{len(entries)} entries in {len(files)} files: "
         + (f"{len(problems)} problems" if problems else "no problems"))
    return 1 if problems else 0


def _hoax_problems(folder: Path, today: date) -> list[Problem]:
    """The problems of the hoax files in ``folder`` (none when it has no hoax file)."""
    hoax_path, near_path = folder / HOAX_FILE.name, folder / NEAR_TRUE_FILE.name
    if not hoax_path.exists():
        return []
    problems: list[Problem] = []
    try:
        hoaxes, errors = parse_hoaxes(read_text(hoax_path), str(hoax_path))
        near_true, near_errors = parse_near_true(read_text(near_path), str(near_path)) if near_path.exists() \
            else ([], [])
    except StaffFileError as exc:
        return [Problem(str(exc.path), exc.line or 1, exc.reason)]
    problems += [Problem(e.file, e.line, e.reason) for e in (*errors, *near_errors)]
    return problems + check_hoaxes(hoaxes, near_true, today)


def _read_kb(kb: Path, questions: Path | None) -> tuple[list[FaqEntry], list[tuple[int, dict]]]:
    """The entries of ``kb.jsonl`` with the phrasings of ``kb_questions.jsonl``, and those rows."""
    files = {"kb": kb, "questions": questions}
    kb_rows, question_rows = read_jsonl(kb), read_jsonl(questions) if questions else []
    try:
        entries = entries_from_rows(kb_rows, question_rows)
    except JsonlFormatError as exc:
        raise StaffFileError(files[exc.rows], exc.reason, exc.line) from None
    if not entries:
        raise StaffFileError(kb, "tidak ada entri / no entries")
    return entries, question_rows


# -- import / export --------------------------------------------------------------------------

def _import(settings: Settings, args: argparse.Namespace) -> int:
    _refuse_overwrite([args.out], args.force)
    entries, _ = _read_kb(args.kb, args.questions)
    header = (f"Imported from {args.kb.name} on {_today(settings)} by `suara kb import`: NOT REVIEWED.\n"
              "Before these entries go live, give each a question (id and en), both answer translations,\n"
              "a source (title and official URL) and reviewed_on; `suara kb validate` lists what is missing.")
    write_atomically(args.out, faq_yaml(entries, header).encode())
    phrasings = sum(len(e.phrasings) for e in entries)
    _say(f"wrote {len(entries)} entries ({phrasings} phrasings) to {args.out}; "
         "they have no source or reviewed_on yet (run suara kb validate)")
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    kb_file, questions_file = args.out_dir / "kb.jsonl", args.out_dir / "kb_questions.jsonl"
    _refuse_overwrite([kb_file, questions_file], args.force)
    _faq_files(args.faq)
    kb_rows, question_rows = entries_to_rows(load_faq(args.faq))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(kb_file, _jsonl(kb_rows))
    write_atomically(questions_file, _jsonl(question_rows))
    _say(f"wrote {len(kb_rows)} entries to {kb_file} and {len(question_rows)} questions to {questions_file}")
    return 0


def _refuse_overwrite(paths: Sequence[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise StaffFileError(existing[0], "sudah ada, tidak ada yang ditulis / already exists; nothing was written (use --force to overwrite)")


def _jsonl(rows: Sequence[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


# -- ask --------------------------------------------------------------------------------------

def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from bot.understanding.knowledge_source import build_knowledge

    question = nlu.clean(args.question)[: nlu.MAX_TEXT_CHARS]
    if not question.strip():
        _say("the question is empty")
        return 2
    kb = build_knowledge(_encoder(settings), args.faq)
    result = kb.answer(question, _today(settings), region=args.region)
    language = nlu.detect_language(nlu.normalise(question), settings.default_language)
    decision = _kind(result)
    answer = result.entry.answer_in(language) if isinstance(result, Answer) else None
    options = [e.id for e in result.options] if isinstance(result, Clarify) else []
    if args.json:
        print(json.dumps({
            "question": question, "language": language, "decision": decision,
            "candidates": [{"entry_id": c.entry_id, "score": c.score} for c in result.candidates],
            "answer_id": result.entry.id if isinstance(result, Answer) else None,
            "answer": answer, "options": options,
        }, ensure_ascii=False, indent=2))
        return 0
    for rank, candidate in enumerate(result.candidates, 1):
        title = kb.entries[candidate.entry_id].question_in(language)
        print(f"{rank}. {candidate.entry_id:<32} {candidate.score:7.4f}  {title}")
    print(f"decision: {decision}")
    if answer is not None:
        print(f"\n{answer}")
    elif options:
        print(f"(the voter is asked which they meant: {' / '.join(options)})")
    else:
        print("(the voter is told honestly that the bot does not know, offered a human, and the "
              "question is queued for staff)")
    return 0


def _kind(result: Answer | Clarify | Abstain) -> str:
    return {Answer: "answer", Clarify: "clarify", Abstain: "abstain"}[type(result)]


# -- eval -------------------------------------------------------------------------------------

def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.understanding.knowledge_source import build_knowledge, cached_knowledge

    encoder = _encoder(settings)
    started = time.perf_counter()
    if args.kb:
        questions = args.questions or _beside(args.kb, "kb_questions.jsonl")
        entries, question_rows = _read_kb(args.kb, questions)
        test = args.test or _beside(args.kb, "test.jsonl")
        if test is None:
            raise StaffFileError(args.kb.parent / "test.jsonl", "no such file (name the test set with --test)")
        test_rows = read_jsonl(test)
        _say(f"building the index of {len(entries)} entries ({len(question_rows)} questions)…")
        kb = cached_knowledge(entries, encoder)
    else:
        test = args.test or OWN_TEST_SET
        test_rows = read_jsonl(test)
        _faq_files(args.faq)
        _say(f"building the index of {args.faq}…")
        kb = build_knowledge(encoder, args.faq)
    build_seconds = time.perf_counter() - started
    try:
        asked = labelled_questions(test_rows, kb.entries)
    except JsonlFormatError as exc:
        raise StaffFileError(test, exc.reason, exc.line) from None
    if not asked:
        raise StaffFileError(test, "no test rows")
    report = score(_outcomes(kb, asked, _today(settings))) | {"entries": len(kb.entries),
                                                             "build_s": round(build_seconds, 2)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report, test)
    return 0


def _beside(path: Path, name: str) -> Path | None:
    sibling = path.parent / name
    return sibling if sibling.exists() else None


def _outcomes(kb: KnowledgeBase, asked: Sequence[tuple[str, str | None]], today: date) -> list[Outcome]:
    """Ask every question one at a time, as the server does, timing each (embedding included)."""
    _say(f"asking {len(asked)} questions…")
    outcomes = []
    for n, (query, expected) in enumerate(asked, 1):
        started = time.perf_counter()
        result = kb.answer(query, today, depth=len(kb.entries))
        milliseconds = (time.perf_counter() - started) * 1000
        ranked = tuple(c.entry_id for c in result.candidates)
        outcomes.append(Outcome(expected, ranked, _kind(result), milliseconds))  # type: ignore[arg-type]
        if n % _PROGRESS_EVERY == 0 and n < len(asked):
            _say(f"  {n}/{len(asked)}")
    return outcomes


def _print_report(report: dict, test: Path) -> None:
    def number(key: str) -> str:
        value = report[key]
        return "n/a" if value is None else f"{value:.3f}"

    print(f"{test}: {report['n']} questions ({report['n_in_scope']} in scope, {report['n_out_of_scope']} out of "
          f"scope) against {report['entries']} entries")
    print(f"Recall@1   {number('recall_at_1')}")
    print(f"Recall@3   {number('recall_at_3')}")
    print(f"MRR        {number('mrr')}")
    if report["n_out_of_scope"]:
        print(f"abstention precision {number('abstain_precision')}  recall {number('abstain_recall')}  "
              f"F1 {number('abstain_f1')}")
    else:
        print("abstention n/a (no out-of-scope rows: answer_id null)")
    print(f"answered accuracy {number('answered_accuracy')} ({report['answered']} answered, "
          f"{report['clarified']} clarified, {report['abstained']} abstained)")
    print(f"latency per query p50 {report['p50_ms']:.1f} ms  p99 {report['p99_ms']:.1f} ms "
          f"(index built or loaded in {report['build_s']:.1f} s)")
