import { Arg, Authorized, ID, Int, Query, Resolver } from 'type-graphql';
import { notImplemented } from '../errors';
import { BlandAltman, LabelEfficiency } from '../schema/types';

/** Table 2 and Bland–Altman of the study: NOT_IMPLEMENTED until the statistics module (src/analysis) is wired. */
@Resolver()
export class AnalysisResolver {
  @Authorized()
  @Query(() => LabelEfficiency, { description: 'Table 2 of the study, computed from stored evaluations' })
  labelEfficiency(
    @Arg('sweepId', () => ID) _sweepId: string,
    @Arg('referenceN', () => Int, { defaultValue: 20 }) _referenceN: number,
  ): LabelEfficiency {
    throw notImplemented('labelEfficiency (the statistics module)');
  }

  @Authorized()
  @Query(() => BlandAltman)
  blandAltman(@Arg('runId', () => ID) _runId: string, @Arg('kidney', () => String) _kidney: string): BlandAltman {
    throw notImplemented('blandAltman (the statistics module)');
  }
}
