#!/usr/bin/env python3
"""Compare two labels.tsv files (shared format) row by row on (file, rcpt_index), falling
back to the same recipient within a file: how often the second (e.g. Sisimai 4.25's, from
scripts/sisimai-label.pl) agrees with the first (the reference) on category and reason.
Usage: scripts/compare-labels.py REFERENCE/labels.tsv OTHER/labels.tsv
"""
import sys,csv
def load(p):
    d={}
    for r in csv.DictReader(open(p),delimiter='\t',quoting=csv.QUOTE_NONE):
        d[(r['file'],r['rcpt_index'])]=r
    return d
ref=load(sys.argv[1]); got=load(sys.argv[2])
n=len(ref); cat=rea=miss=0
conf={}
for k,r in ref.items():
    g=got.get(k)
    if g is None:
        # try recipient match within the file
        cands=[v for kk,v in got.items() if kk[0]==k[0] and v['recipient'].lower()==r['recipient'].lower()]
        g=cands[0] if cands else None
    if g is None: miss+=1; conf[(r['sisimai_reason'],'(none)')]=conf.get((r['sisimai_reason'],'(none)'),0)+1; continue
    cat+= g['category']==r['category']; rea+= g['sisimai_reason']==r['sisimai_reason']
    if g['sisimai_reason']!=r['sisimai_reason']:
        conf[(r['sisimai_reason'],g['sisimai_reason'])]=conf.get((r['sisimai_reason'],g['sisimai_reason']),0)+1
extra=len([k for k in got if k not in ref])
print(f"ref rows {n}, 4.25 rows {len(got)}, ref rows without a 4.25 row {miss}, 4.25 rows not in ref {extra}")
print(f"category agree {cat}/{n} = {100*cat/n:.2f}%  reason agree {rea}/{n} = {100*rea/n:.2f}%")
for (a,b),c in sorted(conf.items(),key=lambda x:-x[1]): print(f"  {c:3d} shared={a} 4.25={b}")
both=[(r,got.get(k)) for k,r in ref.items() if got.get(k)]
c2=sum(g['category']==r['category'] for r,g in both); r2=sum(g['sisimai_reason']==r['sisimai_reason'] for r,g in both)
new5={'requireptr','authfailure','badreputation','failedstarttls'}
b3=[(r,g) for r,g in both if r['sisimai_reason'] not in new5]
r3=sum(g['sisimai_reason']==r['sisimai_reason'] for r,g in b3)
print(f"where 4.25 has a row: category {c2}/{len(both)} = {100*c2/len(both):.2f}%, reason {r2}/{len(both)} = {100*r2/len(both):.2f}%; reason excl. 5.x-only reasons {r3}/{len(b3)} = {100*r3/len(b3):.2f}%")
