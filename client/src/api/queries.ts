// Every operation the dashboard sends, in one place, named so the server's request log says which view asked.

export const RUN_ROW = `id kind status contrast initialization nLabeled seed preset epoch epochs device queuedAt startedAt finishedAt
  sweep { id name }`;

export const RUNS = `query DashboardRuns($filter: RunFilter, $first: Int, $after: String) {
  runs(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { ${RUN_ROW} } }
  }
}`;

export const RUN_EVENTS = `subscription DashboardRunEvents($sweepId: ID) {
  runEvents(sweepId: $sweepId) { runId status phase epoch epochs at }
}`;

export const RUN_PROGRESS = `subscription DashboardRunProgress($runId: ID!) {
  runProgress(runId: $runId) { runId status phase epoch epochs at metrics { name value } }
}`;

export const RUN_DETAIL = `query DashboardRun($id: ID!, $maxPoints: Int) {
  run(id: $id) {
    ${RUN_ROW} config device error
    cohort { id name contrasts { kind channels } }
    pretrainRun { id status }
    metrics(maxPoints: $maxPoints) { name last min max points { epoch value } }
    evaluation {
      meanDice { right left }
      subjects { subject { id code group series { id contrast slices channels } } dice { right left } trainingSizeDice { right left } volumeMl { right left } trueVolumeMl { right left } }
    }
  }
}`;

/** Per run of the comparison view (aliased once per run in CompareView). */
export const COMPARE_RUN_FIELDS = `id kind status contrast initialization nLabeled seed preset epoch epochs config
  metrics(maxPoints: $maxPoints) { name points { epoch value } }
  evaluation { meanDice { right left } }`;

export const CANCEL_RUN = `mutation DashboardCancelRun($id: ID!) { cancelRun(id: $id) { id status } }`;

export const SWEEPS = `query DashboardSweeps { sweeps { id name status done total } }`;

export const SWEEP = `query DashboardSweep($id: ID!, $referenceN: Int!) {
  sweep(id: $id) {
    id name status done total
    runs { id kind status contrast initialization nLabeled seed epoch epochs
      cohort { id } evaluation { meanDice { right left } subjects { subject { id code } dice { right left } } } }
  }
  labelEfficiency(sweepId: $id, referenceN: $referenceN) {
    rows { contrast nLabeled random { right left } clc { right left } pValue { right left } significant
      ci95 { random { right left } clc { right left } } trainingSize { random { right left } clc { right left } } seeds { random clc } subjects { random clc } }
    reductions { contrast referenceN referenceDice matchingN reduction ci95 riRise riRiseCi95 refusal }
    baselines { contrast trainingSize ceilingDice locationPriorDice riSeedSd }
  }
}`;

export const BLAND_ALTMAN = `query DashboardBlandAltman($runId: ID!, $kidney: String!) {
  blandAltman(runId: $runId, kidney: $kidney) { bias lower upper points { subject { code } mean difference } }
}`;

export const COHORTS = `query DashboardCohorts {
  cohorts { id name source fingerprint createdAt subjectCount contrasts { kind channels seriesCount } }
}`;

export const COHORT_SUBJECTS = `query DashboardCohortSubjects($id: ID!, $split: Split, $first: Int, $after: String) {
  cohort(id: $id) {
    id name
    subjects(split: $split, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id code group split series { id contrast channels width height slices spacingMm hasMask kidneyVolumesMl { right left } } } }
    }
  }
}`;

export const SUBJECT_SERIES = `query DashboardTestSeries($id: ID!) {
  cohort(id: $id) {
    subjects(split: TEST, first: 200) { edges { node { id code series { id contrast slices } } } }
  }
}`;

export const LAUNCH_COHORTS = `query DashboardLaunchCohorts {
  cohorts { id name contrasts { kind } subjects(split: TRAIN, first: 0) { totalCount } }
}`;

export const START_SWEEP = `mutation DashboardStartSweep($input: SweepInput!) { startSweep(input: $input) { id name total } }`;
