import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { BlandAltman, LabelEfficiency } from '../schema/analysis-types';
import type { Context } from './context';

/** Table 2 and Bland–Altman of the study, computed from stored evaluations. */
@Resolver()
export class AnalysisResolver {
  @Authorized()
  @Query(() => LabelEfficiency, { description: 'Table 2 of the study, computed from stored evaluations' })
  labelEfficiency(
    @Arg('sweepId', () => ID) sweepId: string,
    @Arg('referenceN', () => Int, { defaultValue: 20 }) referenceN: number,
    @Ctx() ctx: Context,
  ): Promise<LabelEfficiency> {
    return ctx.services.analysis.labelEfficiency(sweepId, referenceN);
  }

  @Authorized()
  @Query(() => BlandAltman, { description: 'kidney: "right" or "left"' })
  blandAltman(@Arg('runId', () => ID) runId: string, @Arg('kidney', () => String) kidney: string, @Ctx() ctx: Context): Promise<BlandAltman> {
    return ctx.services.analysis.blandAltman(runId, kidney);
  }
}
