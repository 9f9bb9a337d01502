"""The real runs of the Transfer learning chapter (nbs/08e_transfer.ipynb), outside the notebook.

    python benchmarks/transfer.py embed --embedders features musicnn   # cache the 101 shared tracks x 6 conditions
    python benchmarks/transfer.py cv --heads logreg svm                # repeated CV -> nbs/results/transfer_cv.json
    python benchmarks/transfer.py cv --heads ffnn --out transfer_cv_ffnn.json
    python benchmarks/transfer.py artist                               # artist-filtered split -> transfer_artist.json
    python benchmarks/transfer.py artist --table musicnn.csv --out transfer_artist_musicnn.json   # with all of GTZAN
    python benchmarks/transfer.py bars                                 # the default bundle on other_music -> transfer_bars.json

Each stage calls the same exported functions as the chapter's `#| slow` cell. Values are cached per track and
condition under --cache (default /tmp/genre_nbdev-transfer-levelled), never in the repository, so a killed run resumes;
`embed` computes the conditions in the order given, every track for one before the next.
"""
import os, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from fastcore.script import call_parse, Param
from genre_nbdev.data import real_data
from genre_nbdev.data import find_audio
from genre_nbdev import transfer as T

@call_parse
def main(
    stage:Param("what to run", str, choices=['embed', 'cv', 'artist', 'bars']),
    embedders:Param("embedders, keys of transfer.EMBEDDERS", str, nargs='+')=None,
    heads:Param("heads for cv, of transfer.HEADS", str, nargs='+')=None,
    conditions:Param("conditions, of transfer.CONDITIONS, in order", str, nargs='+')=None,
    repeats:int=3,                         # cv: repeats of the 5 folds
    table:str=None,                        # artist: the table (default: features_30_sec.csv)
    out:str=None,                          # the results file's name under --results
    cache:str='/tmp/genre_nbdev-transfer-levelled', # cache folder
    results:str='nbs/results',             # where results files go
    reverse:bool=False,                    # embed: the tracks in reverse order (a second process meets the first)
    n_jobs:int=1,                          # cv: processes for the searches
):
    data = real_data(); gtzan = data/'gtzan'
    tracks, skipped = find_audio(gtzan/'genres_original')
    conds = tuple(conditions or T.CONDITIONS)
    t0, res = time.time(), Path(results)
    if stage == 'embed':
        if reverse: tracks = tracks.iloc[::-1]
        for c in conds:
            for name in embedders or list(T.EMBEDDERS):
                _, kept, bad = T.condition_values(tracks, {name: T.EMBEDDERS[name]}, cache, (c,))
                print(f"{c}: {name} of {len(kept)} tracks, {len(bad)} skipped, {time.time()-t0:.0f} s", flush=True)
    elif stage == 'cv':
        print(T.run_cv(tracks, T.EMBEDDERS, cache, res/(out or 'transfer_cv.json'), heads=tuple(heads or T.HEADS),
                       repeats=repeats, conditions=conds, n_jobs=n_jobs))
    elif stage == 'artist':
        print(T.run_artist(table or gtzan/'features_30_sec.csv', gtzan/'splits', res/(out or 'transfer_artist.json')))
    else:  # from the table of the cached clean embeddings, as the chapter's slow cell does
        from genre_nbdev.pretrained import OUTPUTS, MUSICNN_COLUMNS
        mn, kept, _ = T.condition_values(tracks, {'musicnn': T.musicnn_blocks}, cache, ('clean',))
        T.values_table(mn, kept, list(OUTPUTS), MUSICNN_COLUMNS).to_csv(table := Path(cache)/'musicnn_shared.csv', index=False)
        print(T.run_bars(table, data/'other_music', res/(out or 'transfer_bars.json'), bundle_dir=cache))
    print(f"done in {time.time()-t0:.0f} s", flush=True)
