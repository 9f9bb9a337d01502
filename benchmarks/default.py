"""The real runs of "A model that ships" (nbs/08g_default.ipynb): the candidates on unseen artists, and the shipped bundle.

    python benchmarks/default.py embed        # cache the 101 shared tracks: features (clean), MSD and MTT musicnn (clean and AUGMENTATIONS)
    python benchmarks/default.py candidates   # every candidate, artist-grouped and some track-grouped -> nbs/results/default_candidates.json
    python benchmarks/default.py ship         # choose, calibrate, write genre_nbdev/models/default -> nbs/results/default_model.json

`ship` regenerates the default model from ../shared/data (or $GENRE_NBDEV_DATA): run the three stages in order.
Values are cached per track and condition under --cache, never in the repository, so a killed run resumes.
"""
import os, json, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
import numpy as np, pandas as pd
from fastcore.script import call_parse, Param
from common import shared
from genre_nbdev.data import GENRES
from genre_nbdev.tables import artist_groups
from genre_nbdev.data import find_audio
from genre_nbdev.preprocessing import grouped_folds, encode, temper
from genre_nbdev.degrade import condition_values, EMBEDDERS, AUGMENTATIONS
from genre_nbdev import default as D

TRACK_GROUPED = ("report's features", 'MSD mean_pool', 'MSD max_pool', 'MSD taggram, augmented') # also scored with folds of tracks, for comparison

def values_of(tracks, cache, conditions):
    "Every cached block: the features of the clean tracks, and both networks' outputs in `conditions`."
    v, kept, bad = condition_values(tracks, {'features': EMBEDDERS['features']}, cache, ('clean',))
    for c in conditions:
        w, k2, b2 = condition_values(tracks, {k: EMBEDDERS[k] for k in ('musicnn', 'mtt')}, cache, (c,))
        assert list(k2.name) == list(kept.name), 'a track failed in one condition only'
        v |= w
    return v, kept, bad

@call_parse
def main(
    stage:Param("what to run", str, choices=['embed', 'candidates', 'ship']),
    cache:str='/tmp/genre_nbdev-default', # cache folder of the embeddings
    results:str='nbs/results',            # where results files go
    only:Param("candidates to run (default: all)", str, nargs='+')=None,
    n_jobs:int=2,                         # processes, one fold each
):
    data = shared(); gtzan = data/'gtzan'
    tracks, skipped = find_audio(gtzan/'genres_original')
    t0, res = time.time(), Path(results)
    values, kept, bad = values_of(tracks, cache, ('clean', *AUGMENTATIONS))
    labels, groups = encode(kept.label), artist_groups(kept.name)
    if stage == 'embed': print(f"{len(kept)} tracks, {len(bad)} skipped, {time.time()-t0:.0f} s"); return
    out = res/'default_candidates.json'
    folds = {'artist': grouped_folds(labels, groups), 'track': grouped_folds(labels)}
    if stage == 'candidates':
        doc = json.loads(out.read_text()) if out.exists() else dict(scores={})
        for name in only or list(D.CANDIDATES):
            for grouping in ('artist', 'track') if name in TRACK_GROUPED else ('artist',):
                s = D.score_candidate(values, labels, groups, D.CANDIDATES[name], folds[grouping], n_jobs)
                doc['scores'][f'{name}|{grouping}'] = s
                acc = np.mean([f['accuracy'] for f in s['folds']])
                print(f"{name} ({grouping}): fold mean {acc:.3f}, {time.time()-t0:.0f} s", flush=True)
                doc.update(data=f'{len(kept)} shared GTZAN tracks', tracks=list(kept.name), labels=labels.tolist(),
                           groups=list(groups), testable=int(sum(len(f['test']) for f in folds['artist'] if f['repeat'] == 0)),
                           candidates=D.CANDIDATES, folds=dict(n_folds=5, repeats=3, seed=0))
                out.write_text(json.dumps(doc) + '\n')
        return
    doc = json.loads(out.read_text())
    art = {k.split('|')[0]: v for k, v in doc['scores'].items() if k.endswith('|artist')}
    summary = D.candidate_summary(art, labels)
    widths = {n: sum(values[f'clean/{b}'].shape[-1] for b in D.CANDIDATES[n]['blocks']) for n in art}
    chosen = D.choose(summary, doc['testable'], widths)
    P, y = D.held_out(art[chosen], labels)
    T = D.fit_temperature(P, y)
    threshold = D.choose_threshold(temper(P, T), y)
    spec = D.CANDIDATES[chosen]
    acc = summary.set_index('candidate').loc[chosen]
    info = dict(chosen=chosen, recipe=spec, rule='best shippable candidate on unseen artists; within one track, the fewest values',
                accuracy_unseen_artists=float(acc.accuracy), accuracy_sd=float(acc.sd), protocol='artist-grouped CV, 5 folds x 3 repeats',
                candidates_file='nbs/results/default_candidates.json', temperature_fitted_on='held-out tracks of that CV',
                threshold_rule=f'lowest confidence at which answered held-out tracks are right at least {D.PRECISION} of the time')
    m = D.ship(values, kept, groups, spec, T, threshold, 'GTZAN: the 101 tracks shared with this project', info)
    dest = m.save(Path(D.__file__).parent/'models'/'default')
    from genre_nbdev.predict import predict_paths
    from genre_nbdev.data import audio_files
    other, _ = predict_paths(m, audio_files(data/'other_music')[0])
    model_doc = dict(chosen=chosen, temperature=T, min_confidence=threshold, widths=widths,
                     ece_before=D.calibration_error(P, y), ece_after=D.calibration_error(temper(P, T), y),
                     coverage=D.coverage(temper(P, T), y).to_dict('records'), held_out=dict(P=P.tolist(), y=y.tolist()),
                     other_music=[dict(file=Path(p.path).name, genre=p.genre, nearest=p.nearest, confidence=p.confidence,
                                       top=p.top(3)) for p in other],
                     bundle=str(dest.relative_to(Path.cwd())) if dest.is_relative_to(Path.cwd()) else dest.name,
                     summary=summary.to_dict('records'))
    (res/'default_model.json').write_text(json.dumps(model_doc, indent=1) + '\n')
    print(f"chosen {chosen}: temperature {T:.3f}, min_confidence {threshold:.2f}; {dest}; {time.time()-t0:.0f} s")
