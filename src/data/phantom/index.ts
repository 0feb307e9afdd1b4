/** The synthetic renal cohort (docs: phantom.md; generation 2: issue 12). */
export { generateSubject, PHANTOM_GENERATION, type GeneratedSubject, type SubjectSpec, type SubjectTruth } from './subject';
export { planCohort, splitSizes, groupCounts, type PlannedSubject, type CohortPlanInput, type SplitName } from './cohort';
export { DEFAULT_PROTOCOLS, T1_INVERSION_TIMES_MS, T2_ECHO_TIMES_MS, BOLD_ECHO_TIMES_MS, DWI_B_VALUES, type ContrastProtocol } from './protocol';
export { Tissue, drawTissueParams, drawDisease, type TissueParams, type DiseasePattern } from './tissues';
