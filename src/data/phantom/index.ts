/** The synthetic renal cohort (docs: phantom.md). */
export { generateSubject, type GeneratedSubject, type SubjectSpec, type SubjectTruth } from './subject';
export { planCohort, splitSizes, groupCounts, type PlannedSubject, type CohortPlanInput, type SplitName } from './cohort';
export { DEFAULT_PROTOCOLS, T1_INVERSION_TIMES_MS, T2_ECHO_TIMES_MS, BOLD_ECHO_TIMES_MS, DWI_B_VALUES, type ContrastProtocol } from './protocol';
export { Tissue, drawTissueParams, type TissueParams } from './tissues';
