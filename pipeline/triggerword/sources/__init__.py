"""Pluggable sources of raw audio for the collect stage.

base.py         RawClip / Skipped (what every source yields), read_audio, ids, seeds
tts.py          espeak-ng, flite, festival: the positive word and the negative words
packages.py     recorded speech from Debian packages (ktuberling, asterisk-en) as negatives
backgrounds.py  ufoai-ambience, asterisk-moh and generated noise
folders.py      the user's own recordings (collect.folders)
archives.py     Speech Commands-style .tar.gz archives (collect.archives)
prepare.py      checks, mono, resampling, trimming, windows -> PreparedClip
writer.py       16-bit WAVs, the catalog table and NOTICE.md
"""
