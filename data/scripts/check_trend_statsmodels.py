# The reference values of csa-analysis trend.rs `step_fit_against_statsmodels`: the step model
# fitted by statsmodels (0.15.0, in a throwaway venv: python3 -m venv /tmp/smv &&
# /tmp/smv/bin/pip install statsmodels). Run: /tmp/smv/bin/python data/scripts/check_trend_statsmodels.py
import numpy as np, statsmodels.api as sm, calendar
y=np.array([52,31,45,58,40,21,30,53,29,36,61,50,35,44,69,35,17,36,48,31,23,38,65,49,81,58,42,47,69,30,38,57,41,26,52,70],float)
rows=[];off=[]
for i in range(36):
    yr=2023+i//12; m=i%12+1
    r=[1.0, 1.0 if i>=24 else 0.0]+[1.0 if m==k else 0.0 for k in range(2,13)]
    rows.append(r); off.append(np.log(calendar.monthrange(yr,m)[1]))
X=np.array(rows)
res=sm.GLM(y,X,family=sm.families.Poisson(),offset=np.array(off)).fit(scale='X2')
print(repr(res.params[1]), repr(res.bse[1]), repr(res.scale), repr(res.pearson_chi2/res.df_resid))
from scipy import stats
t=res.params[1]/res.bse[1]; print('p_t', repr(2*stats.t.sf(abs(t),res.df_resid)), 'df', res.df_resid)
print(res.conf_int()[1])
