import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, Field, ID, Info, InputType, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { AuditChainReport, AuditEvent, AuditEventPage } from '../schema/audit-event.type.js';
import { ResourceType } from '../schema/enums.js';
import { auditEventPage, PageArgs, ResourceAuditEventFilter } from './resource-resolver.js';

@InputType({ description: 'Narrows the audit trail.' })
class AuditEventFilter extends ResourceAuditEventFilter {
  @Field(() => ResourceType, { description: 'Only events of this kind of resource.', nullable: true }) resourceType?: ResourceType | null;
  @Field(() => ID, { description: 'Only events of this resource.', nullable: true }) resourceId?: string | null;
  // The inherited field, described as this list has always described it.
  @Field(() => String, { nullable: true, description: 'Who made the change.' }) declare actor?: string | null;
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Query(() => AuditEventPage, { description: 'Who changed what, newest first.' })
  auditEvents(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Narrows the list.' }) filter: AuditEventFilter | null,
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<AuditEventPage> {
    return auditEventPage(ctx, filter, page, info);
  }

  @Query(() => AuditChainReport, {
    description:
      'Seals the committed unsealed events, then recomputes the audit hash chain (all sandboxes, detached months stepped over with their recorded hashes) and reports the first broken link and any unsealed tail. For admins and auditors.',
  })
  async verifyAuditChain(@Ctx() ctx: GatewayContext): Promise<AuditChainReport> {
    await ctx.store.auditSealer.sealPending();
    const report = await ctx.store.auditChain.verify();
    return Object.assign(new AuditChainReport(), {
      ...report,
      firstBrokenSeq: report.firstBrokenSeq === null ? null : report.firstBrokenSeq.toString(),
      headSeq: report.headSeq.toString(),
    });
  }
}
