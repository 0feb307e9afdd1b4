// Minimal typings for the parts of jStat that nephron uses (the package ships none).
declare module 'jstat' {
  export const jStat: {
    studentt: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
    normal: { cdf(x: number, mean: number, sd: number): number };
  };
}
