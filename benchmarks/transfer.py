"""The real runs of the Transfer learning chapter (nbs/08e_transfer.ipynb), outside the notebook.

    python benchmarks/transfer.py embed --embedders features musicnn   # cache the 101 shared tracks x 6 conditions
    python benchmarks/transfer.py cv --heads logreg svm                # repeated CV -> nbs/results/transfer_cv.json
    python benchmarks/transfer.py cv --heads ffnn --out transfer_cv_ffnn.json
    python benchmarks/transfer.py artist                               # artist-filtered split -> transfer_artist.json
    python benchmarks/transfer.py artist --table musicnn.csv --out transfer_artist_musicnn.json   # with all of GTZAN

Each stage calls the same exported functions as the chapter's `#| slow` cell. Values are cached per track and
condition under --cache (default /tmp/genre_nbdev-transfer-levelled), never in the repository, so a killed run resumes;
`embed` computes the conditions in the order given, every track for one before the next.
"""
import os, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from fastcore.script import call_parse, Param
from common import shared
from genre_nbdev.data import find_audio
from genre_nbdev import transfer as T
from genre_nbdev.degrade import CONDITIONS, EMBEDDERS, condition_values

@call_parse
def main(
    stage:Param("what to run", str, choices=['embed', 'cv', 'artist']),
    embedders:Param("embedders, keys of degrade.EMBEDDERS", str, nargs='+')=None,
    heads:Param("heads for cv, of transfer.HEADS", str, nargs='+')=None,
    conditions:Param("conditions, of degrade.CONDITIONS, in order", str, nargs='+')=None,
    repeats:int=3,                         # cv: repeats of the 5 folds
    table:str=None,                        # artist: the table (default: features_30_sec.csv)
    out:str=None,                          # the results file's name under --results
    cache:str='/tmp/genre_nbdev-transfer-levelled', # cache folder
    results:str='nbs/results',             # where results files go
    reverse:bool=False,                    # embed: the tracks in reverse order (a second process meets the first)
    n_jobs:int=1,                          # cv: processes for the searches
):
    data = shared(); gtzan = data/'gtzan'
    tracks, skipped = find_audio(gtzan/'genres_original')
    conds = tuple(conditions or CONDITIONS)
    t0, res = time.time(), Path(results)
    if stage == 'embed':
        if reverse: tracks = tracks.iloc[::-1]
        for c in conds:
            for name in embedders or list(EMBEDDERS):
                _, kept, bad = condition_values(tracks, {name: EMBEDDERS[name]}, cache, (c,))
                print(f"{c}: {name} of {len(kept)} tracks, {len(bad)} skipped, {time.time()-t0:.0f} s", flush=True)
    elif stage == 'cv':
        print(T.run_cv(tracks, {k: EMBEDDERS[k] for k in ('features', 'musicnn')}, cache, res/(out or 'transfer_cv.json'), heads=tuple(heads or T.HEADS),
                       repeats=repeats, conditions=conds, n_jobs=n_jobs))
    else:
        print(T.run_artist(table or gtzan/'features_30_sec.csv', gtzan/'splits', res/(out or 'transfer_artist.json')))
    print(f"done in {time.time()-t0:.0f} s", flush=True)
