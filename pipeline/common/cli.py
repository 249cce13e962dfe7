"""The `datasynth` command: one sub-command per stage or tool, each a thin wrapper of its module.

datasynth collect | synthesise | validate      run one stage (as `dvc repro` does)
datasynth export --split dev --count 20 --out exports/dev
datasynth detect recording.wav [--threshold 0.5]
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {  # name -> (module, one-line help)
    "collect": ("pipeline.triggerword.collect", "build data/catalog from the sources in params.yaml"),
    "synthesise": ("pipeline.triggerword.synthesise", "draw recipes into data/synth"),
    "validate": ("pipeline.triggerword.validate", "check catalog and recipes with the expectation suites"),
    "export": ("pipeline.triggerword.deploy.export", "render recipes to WAV + label files"),
    "train": ("pipeline.triggerword.train", "train the trigger-word model (CPU, CUDA; torchrun for DDP)"),
    "evaluate": ("pipeline.triggerword.evaluate", "event metrics and DET curves on dev and test"),
    "error-analysis": ("pipeline.triggerword.error_analysis", "write the HTML error-analysis report"),
    "detect": (
        "pipeline.triggerword.deploy.detect",
        "find the trigger word: datasynth detect FILE [FILE ...] | - (raw PCM)",
    ),
    "listen": ("pipeline.triggerword.deploy.listen", "find the trigger word in the microphone's audio, live"),
    "export-model": ("pipeline.triggerword.deploy.export_model", "export the detector: --format onnx | openwakeword"),
    "mine": ("pipeline.triggerword.mine", "hard-negative mining rounds (embedding family)"),
    "embed": ("pipeline.triggerword.embed", "speech embeddings of the rendered clips (embedding family)"),
    "value": ("pipeline.triggerword.studies.data_value", "what a data group is worth: datasynth value --group NAME"),
    "daynight-collect": ("pipeline.daynight.collect", "day/night photos + synthetic nights into data/daynight"),
    "daynight-train": ("pipeline.daynight.train", "train the day/night CNN (models/trained/daynight)"),
    "daynight-stylize": ("pipeline.daynight.stylize", "stylise a share of the day/night training images"),
    "daynight-train-styled": ("pipeline.daynight.train_styled", "retrain the day/night CNN on train + stylised"),
    "daynight-study": ("pipeline.daynight.study", "resolution RES | datasize | summary studies"),
    "daynight-report": ("pipeline.daynight.report", "write reports/daynight/index.html"),
    "stylize": ("pipeline.style.stylize", "paint a photo in the style of another image: datasynth stylize C S -o OUT"),
    "identity-collect": (
        "pipeline.identity.collect",
        "items with identities (speakers, words, faces) into data/identity",
    ),
    "identity-mine": ("pipeline.identity.mine", "mine triplets into data/identity_triplets (versioned manifest)"),
    "identity-train": ("pipeline.identity.train", "train the identity encoder with triplet loss"),
    "identity-evaluate": ("pipeline.identity.evaluate", "ROC/EER/TAR, rank-1/5, clustering NMI/ARI vs baselines"),
    "identity-report": ("pipeline.identity.report", "write reports/identity/index.html"),
    "enrol": ("pipeline.identity.cli", "enrol an identity: datasynth enrol NAME FILE [FILE ...]"),
    "verify": ("pipeline.identity.cli", "is FILE this identity? datasynth verify FILE --as NAME"),
    "identify": ("pipeline.identity.cli", "who is FILE? datasynth identify FILE [--top-k 5]"),
    "cluster": ("pipeline.identity.cli", "group the files of a folder: datasynth cluster DIR [--out OUT]"),
    "label": ("pipeline.labelling.cli", "human labelling study: datasynth label --study resolution | --report"),
}


def usage() -> str:
    lines = ["usage: datasynth COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<20} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines + ["", "`datasynth COMMAND --help` shows a command's options."])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage())
        return
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"datasynth: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    from pipeline.common.io import run_stage

    module = importlib.import_module(COMMANDS[name][0])
    sys.argv = [f"datasynth {name}", *rest]
    run_stage(module.main, name)


if __name__ == "__main__":
    main()
